package org.cnnspark.driver.spark;

import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;

/** Names of our Spark jobs and stages, so that Spark's UI says what each one does. */
public final class JobNames {
  private JobNames() {}

  /**
   * Runs {@code job} with {@code name} as the description of its Spark jobs and the name of their
   * stages (in place of "collect at Datasets.java:286"); the previous description comes back after.
   */
  public static <T> T named(JavaSparkContext jsc, String name, Supplier<T> job) {
    String description = jsc.getLocalProperty("spark.job.description");
    jsc.setJobDescription(name);
    jsc.setCallSite(name);
    try {
      return job.get();
    } finally {
      jsc.clearCallSite();
      jsc.setJobDescription(description);
    }
  }
}
