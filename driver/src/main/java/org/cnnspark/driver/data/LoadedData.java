package org.cnnspark.driver.data;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.cnnspark.engine.Shape;
import scala.Option;

/**
 * A decoded dataset, cached on the executors.
 *
 * @param blocks exactly {@code partitions} partitions, persisted at {@link #STORAGE}.
 *     Partition p holds its records in increasing global index order, the records {@code split}
 *     gives it: under the contiguous split a contiguous range (partition 0 the first records).
 *     Under every split the first {@code count % partitions} partitions hold one record more than
 *     the others, so with fewer records than partitions the last ones are empty. Global indices
 *     run from 0 to count - 1 (with skipped records, they count the kept ones; a planned format's
 *     contiguous partitions then hold what their range kept, and are not rebalanced).
 * @param shape the shape of every image (C, H, W)
 * @param count the number of records
 * @param numClasses classNames.size() when classes are named, else the count the options gave,
 *     else the format's (10 for CIFAR-10), else the largest label + 1 (0 when no record has a
 *     label)
 * @param classNames class index -> name: the folder names for image folders, else the names the
 *     options gave, else empty
 * @param skipped records dropped because they were bad (only with skipBadRecords)
 * @param split how the records went to the partitions
 * @param chunks null = partition p is worker p's (the contract above); else the workers' records
 *     are in the chunk partitions {@link Chunks} describes, and {@link #workerView} reads them as W
 */
public record LoadedData(JavaRDD<ImageBlock> blocks, Shape shape, long count, int numClasses,
    List<String> classNames, long skipped, DataSplit split, Chunks chunks) {

  /**
   * Deserialized in memory while storage memory lasts, then serialized to the executors' local
   * disk (compressed when spark.rdd.compress is on): a block that does not fit is written once and
   * read back each round, never decoded again (MEMORY_ONLY would decode it again every round).
   */
  public static final StorageLevel STORAGE = StorageLevel.MEMORY_AND_DISK();

  public LoadedData {
    classNames = List.copyOf(classNames);
    split = split == null ? DataSplit.CONTIGUOUS : split;
  }

  /** One partition per worker. */
  public LoadedData(JavaRDD<ImageBlock> blocks, Shape shape, long count, int numClasses, List<String> classNames,
      long skipped, DataSplit split) {
    this(blocks, shape, count, numClasses, classNames, skipped, split, null);
  }

  /** Data in contiguous partitions, as a format loads it. */
  public LoadedData(JavaRDD<ImageBlock> blocks, Shape shape, long count, int numClasses, List<String> classNames,
      long skipped) {
    this(blocks, shape, count, numClasses, classNames, skipped, DataSplit.CONTIGUOUS);
  }

  /** Number of workers the data is split into (its partitions, or without chunks, its partitions). */
  public int partitions() {
    return chunks != null ? chunks.workers() : blocks.getNumPartitions();
  }

  /**
   * The chunks as W partitions, worker p reading the chunks order[p] names (0-based within its
   * own), in that order; chunks not named are not read.
   */
  public JavaRDD<ImageBlock> workerView(int[][] order) {
    if (chunks == null || order.length != chunks.workers()) {
      throw new IllegalStateException("a worker view needs chunked data and one order per worker");
    }
    int[][] partitions = new int[order.length][];
    for (int p = 0; p < order.length; p++) {
      partitions[p] = new int[order[p].length];
      for (int i = 0; i < order[p].length; i++) {
        if (order[p][i] < 0 || order[p][i] >= chunks.chunks(p)) {
          throw new IllegalArgumentException("worker " + p + " has no chunk " + order[p][i]);
        }
        partitions[p][i] = chunks.start(p) + order[p][i];
      }
    }
    return JavaRDD.fromRDD(blocks.rdd().coalesce(order.length, false, Option.apply(ChunkOrder.of(partitions)), null),
        blocks.classTag());
  }

  /** Drops the cached blocks from executor memory. */
  public void unpersist() {
    blocks.unpersist(false);
  }
}
