package org.cnnspark.driver.ml;

import java.io.File;

/**
 * Spark 4.1+'s Connect ML server keeps each fitted or loaded model on the driver's local disk as
 * well (MLWriter.saveToLocal, MLReader.loadFromLocal). Those set a thread-local flag that Spark's
 * own metadata writer and reader follow, writing plain local files instead of running jobs on the
 * default file system; the model's data must follow it too, or on a cluster whose default file
 * system is HDFS or DBFS it would land there and outlive the cache. The flag is Spark-internal
 * (ReadWriteUtils.localSavingModeState) and absent before 4.1, hence reflection.
 */
final class LocalSaving {
  /** Spark's flag, or null before Spark 4.1. */
  private static final ThreadLocal<?> FLAG = flag();

  private LocalSaving() {}

  /** path/data: a file: URI on the driver's disk while Spark saves or loads locally, else as given. */
  static String dataDir(String path) {
    return active() ? new File(path, "data").getAbsoluteFile().toURI().toString() : path + "/data";
  }

  static boolean active() {
    return FLAG != null && Boolean.TRUE.equals(FLAG.get());
  }

  private static ThreadLocal<?> flag() {
    try {
      Class<?> utils = Class.forName("org.apache.spark.ml.util.ReadWriteUtils$");
      return (ThreadLocal<?>) utils.getMethod("localSavingModeState").invoke(utils.getField("MODULE$").get(null));
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return null;
    }
  }
}
