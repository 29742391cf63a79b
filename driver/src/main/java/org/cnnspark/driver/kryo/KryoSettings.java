package org.cnnspark.driver.kryo;

import org.apache.spark.SparkConf;

/**
 * The Spark settings cnn-spark's jobs use when they start the session, in one place for the CLI,
 * the examples and the tests: Spark's Kryo serializer with {@link CnnKryoRegistrator}, and
 * registration required (an unregistered class fails at once instead of being written with its full
 * name every time). Kryo is optional: a session without it (Spark's Java serialization) trains the
 * same bits.
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
   * Any serializer does: the image blocks and round results that travel between the JVMs have
   * layouts of their own under Java serialization (Spark's default) and Kryo serialises them field by
   * field, so Kryo is optional. Refused up front, with what to set, is only a Kryo that requires
   * registration without our registrator: it would fail in the middle of a job.
   */
  public static void check(SparkConf conf) {
    if (conf.get("spark.serializer", "").equals(KRYO) && conf.getBoolean("spark.kryo.registrationRequired", false)
        && !conf.get("spark.kryo.registrator", "").contains(REGISTRATOR)) {
      throw new IllegalArgumentException("spark.kryo.registrationRequired is on but cnn-spark's classes are not "
          + "registered: add " + REGISTRATOR + " to spark.kryo.registrator (a comma-separated list), or leave"
          + " spark.serializer unset (cnn-spark needs no Kryo)");
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
