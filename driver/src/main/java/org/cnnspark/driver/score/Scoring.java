package org.cnnspark.driver.score;

import java.util.Iterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.spark.SparkErrors;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.EngineSpec;

/** Distributed prediction over cached image blocks. */
public final class Scoring {
  private Scoring() {}

  /** What {@link #predictCsv} hands out: its lines in record order, and the job's clean-up. */
  public interface Lines extends AutoCloseable {
    Iterator<String> iterator();

    @Override
    void close();
  }

  /**
   * CSV lines {@code index,label,prediction,p0,...} of every record, in record order. All
   * partitions are scored in one parallel job first, then streamed to the driver one partition
   * at a time, so the driver never holds more than one partition's lines.
   */
  public static Lines predictCsv(JavaSparkContext jsc, JavaRDD<ImageBlock> data, EngineSpec engine, float[] params) {
    Broadcast<float[]> bc = jsc.broadcast(params);
    JavaRDD<String> lines = data.mapPartitions(new PredictTask(engine, bc, DistributedTrainer.EVAL_BATCH), true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      lines.count();
    } catch (Exception e) { // SparkException, undeclared
      lines.unpersist(false);
      bc.destroy();
      throw SparkErrors.rethrow(e);
    }
    return new Lines() {
      @Override
      public Iterator<String> iterator() {
        return lines.toLocalIterator();
      }

      @Override
      public void close() {
        lines.unpersist(false);
        bc.destroy();
      }
    };
  }
}
