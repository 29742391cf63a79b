package org.cnnspark.driver.kryo;

import org.apache.spark.SparkConf;

/**
 * The Spark settings cnn-spark's jobs need, in one place for the CLI, the Estimator, the examples
 * and the tests: Spark's Kryo serializer with {@link CnnKryoRegistrator}, and registration required
 * (an unregistered class fails at once instead of being written with its full name every time).
 */
public final class KryoSettings {
  static final String KRYO = "org.apache.spark.serializer.KryoSerializer";
  static final String REGISTRATOR = CnnKryoRegistrator.class.getName();

  private KryoSettings() {}

  /**
   * Sets the serializer, the registrator and registration-required where {@code conf} does not set
   * them already; a registrator list that lacks ours gets ours added. Returns {@code conf}.
   */
  public static SparkConf apply(SparkConf conf) {
    conf.setIfMissing("spark.serializer", KRYO)
        .setIfMissing("spark.kryo.registrator", REGISTRATOR)
        .setIfMissing("spark.kryo.registrationRequired", "true");
    String registrators = conf.get("spark.kryo.registrator");
    if (!registrators.contains(REGISTRATOR)) {
      conf.set("spark.kryo.registrator", registrators + "," + REGISTRATOR);
    }
    return conf;
  }

  /**
   * Image blocks and partition results travel with Spark's Kryo, not Java serialization: a session
   * configured otherwise is refused up front with what to set, instead of failing in the middle of
   * a job.
   */
  public static void check(SparkConf conf) {
    String how = "set spark.serializer=" + KRYO + " and spark.kryo.registrator=" + REGISTRATOR
        + " (bin/cnn-spark does; with spark-submit pass them as --conf)";
    if (!conf.get("spark.serializer", "org.apache.spark.serializer.JavaSerializer").equals(KRYO)) {
      throw new IllegalArgumentException("cnn-spark needs Spark's Kryo serializer: " + how);
    }
    if (conf.getBoolean("spark.kryo.registrationRequired", false)
        && !conf.get("spark.kryo.registrator", "").contains(REGISTRATOR)) {
      throw new IllegalArgumentException("spark.kryo.registrationRequired is on but cnn-spark's classes are not "
          + "registered: " + how);
    }
  }

  /**
   * The serializer {@code conf} sets, in words: "Kryo with cnn-spark's registrator", "Kryo without
   * cnn-spark's registrator", or the class's simple name (JavaSerializer when none is set).
   */
  public static String describe(SparkConf conf) {
    String serializer = conf.get("spark.serializer", "org.apache.spark.serializer.JavaSerializer");
    if (!serializer.equals(KRYO)) {
      return serializer.substring(serializer.lastIndexOf('.') + 1);
    }
    return "Kryo " + (conf.get("spark.kryo.registrator", "").contains(REGISTRATOR) ? "with" : "without")
        + " cnn-spark's registrator";
  }
}
