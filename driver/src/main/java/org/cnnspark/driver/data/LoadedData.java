package org.cnnspark.driver.data;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.cnnspark.engine.Shape;

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
 */
public record LoadedData(JavaRDD<ImageBlock> blocks, Shape shape, long count, int numClasses,
    List<String> classNames, long skipped, DataSplit split) {

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

  /** Data in contiguous partitions, as a format loads it. */
  public LoadedData(JavaRDD<ImageBlock> blocks, Shape shape, long count, int numClasses, List<String> classNames,
      long skipped) {
    this(blocks, shape, count, numClasses, classNames, skipped, DataSplit.CONTIGUOUS);
  }

  /** Number of partitions (workers) the data is split into. */
  public int partitions() {
    return blocks.getNumPartitions();
  }

  /** Drops the cached blocks from executor memory. */
  public void unpersist() {
    blocks.unpersist(false);
  }
}
