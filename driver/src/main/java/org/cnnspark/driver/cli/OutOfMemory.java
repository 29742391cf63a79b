package org.cnnspark.driver.cli;

import java.util.Locale;

/**
 * One paragraph for a run that ran out of memory, in place of OutOfMemoryError's stack trace or
 * Spark's "Job aborted" text: whose memory (this JVM's, or an executor's) and what to set.
 */
final class OutOfMemory {
  private OutOfMemory() {}

  /** The paragraph when {@code t} or a cause is, or reports, running out of memory; else null. */
  static String paragraph(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof OutOfMemoryError) {
        return here();
      }
      String text = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
      boolean taskSaid = text.contains("outofmemoryerror") || text.contains("taskresultlost")
          || text.contains("exit code 52") || text.contains("exceeding memory limits") || text.contains("oomkilled");
      if (taskSaid) {
        // local mode's tasks run on "executor driver", in this JVM
        return text.contains("executor driver") ? here() : "an executor ran out of memory (" + firstLine(c.getMessage()) + "). Give the executors "
            + "more: spark.executor.memory (heap: the round's vectors) and spark.executor.memoryOverhead (the engine's "
            + "direct memory, about 4 (2P + S) bytes per running task), or run fewer tasks per executor "
            + "(spark.executor.cores), or use a smaller model; docs/operations.md, memory per round, gives the formulas";
      }
    }
    return null;
  }

  private static String here() {
    long max = Runtime.getRuntime().maxMemory() >> 20;
    return "the driver (in local mode with its tasks) ran out of memory with a max "
        + "heap of " + max + " MB. Give it more: --driver-memory or spark.driver.memory with spark-submit, -Xmx in "
        + "CNN_SPARK_JAVA_OPTS for bin/cnn-spark; or use fewer workers or a smaller model (docs/operations.md, memory "
        + "per round, gives the formulas; results of more than 64 MB a round are summed on the executors, "
        + "spark.cnnspark.reduce=shuffle does it for smaller ones too). Nothing was written but the checkpoints "
        + "already saved";
  }

  private static String firstLine(String s) {
    int nl = s == null ? -1 : s.indexOf('\n');
    return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
  }
}
