package org.cnnspark.driver.data;

import java.io.Serializable;
import org.apache.spark.Partition;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import scala.Option;

/**
 * Groups cached chunk partitions into one partition per worker, each reading the chunks it names
 * in the order it names them (Spark's coalesce keeps a group's order): a task streams its
 * worker's chunks in a shuffled order, from memory or disk, local or fetched by the block manager.
 */
final class ChunkOrder implements PartitionCoalescer, Serializable {
  private static final long serialVersionUID = 1L;

  /** Per worker, the chunk partitions to read, in order. */
  private final int[][] order;

  ChunkOrder(int[][] order) {
    this.order = order;
  }

  @Override
  public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
    Partition[] all = parent.partitions();
    PartitionGroup[] groups = new PartitionGroup[order.length];
    for (int w = 0; w < order.length; w++) {
      // No preferred host: Spark then prefers where the group's first chunk is cached.
      groups[w] = new PartitionGroup(Option.empty());
      for (int i : order[w]) {
        groups[w].partitions().addOne(all[i]);
      }
    }
    return groups;
  }
}
