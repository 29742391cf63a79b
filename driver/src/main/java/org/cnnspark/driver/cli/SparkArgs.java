package org.cnnspark.driver.cli;

import picocli.CommandLine.Option;

/** Where the job runs and how many workers (partitions) it uses. */
public final class SparkArgs {
  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master URL, e.g. local[4] or spark://host:7077 (default: embedded local[*], or what spark-submit set).")
  String master;

  @Option(names = "--workers", paramLabel = "W",
      description = "Partitions processed in parallel (default: the cores Spark gives the job).")
  Integer workers;

  void check() {
    if (workers != null && workers < 1) {
      throw new IllegalArgumentException("--workers must be >= 1, got " + workers);
    }
  }

  int workers(SparkSessions.Started s) {
    return workers != null ? workers : Math.max(1, s.jsc().defaultParallelism());
  }
}
