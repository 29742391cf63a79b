package org.cnnspark.driver.data;

import java.io.Serializable;

/**
 * Training data kept as chunks (with a shuffle buffer): worker p's records, in the order its
 * split gives them, are cut into chunks of {@code records} records (its last chunk fewer, at least
 * one chunk even when it has no record), and each chunk is its own cached Spark partition, so a
 * task can read a worker's chunks in any order without holding them all, and the block manager
 * keeps in memory or on disk as much of them as fits. The worker sizes are those of every split:
 * {@link ReadSlice#bounds}.
 *
 * @param count the records of the dataset
 * @param workers W
 * @param records records per chunk
 */
public record Chunks(long count, int workers, int records) implements Serializable {

  /** Chunks of at most 16 MB, and small enough that a buffer holds about four. */
  static int chunkRecords(int shuffleBuffer, int imageSize) {
    int byBuffer = (shuffleBuffer + 3) / 4;
    int byBytes = Math.max(1, Target.BLOCK_BYTES / imageSize);
    return Math.max(1, Math.min(Math.min(byBuffer, byBytes), Target.BLOCK_RECORDS));
  }

  static Chunks of(long count, int workers, int shuffleBuffer, int imageSize) {
    return new Chunks(count, workers, chunkRecords(shuffleBuffer, imageSize));
  }

  public Chunks {
    if (workers < 1 || records < 1 || count < 0) {
      throw new IllegalArgumentException("chunks of " + records + " records over " + workers + " workers");
    }
  }

  /** Worker p's record count. */
  public long size(int p) {
    return count / workers + (p < count % workers ? 1 : 0);
  }

  /** Worker p's chunk count (at least 1). */
  public int chunks(int p) {
    return (int) Math.max(1, (size(p) + records - 1) / records);
  }

  /** The partition of worker p's first chunk; start(W) = the number of partitions. */
  public int start(int p) {
    long base = count / workers;
    long extra = count % workers;
    int small = (int) Math.max(1, (base + records - 1) / records);
    int big = (int) Math.max(1, (base + 1 + records - 1) / records);
    return (int) (Math.min(p, extra) * big + Math.max(0, p - extra) * small);
  }

  /** The number of Spark partitions: every worker's chunks. */
  public int partitions() {
    return start(workers);
  }

  /** The records of worker p's chunk j. */
  public int chunkSize(int p, int j) {
    return (int) Math.max(0, Math.min(records, size(p) - (long) j * records));
  }

  /** Partition i's global record bounds when the records are in contiguous order: chunk after chunk. */
  long[] contiguousBounds() {
    long[] bounds = new long[partitions() + 1];
    int i = 0;
    for (int p = 0; p < workers; p++) {
      for (int j = 0; j < chunks(p); j++) {
        bounds[i + 1] = bounds[i] + chunkSize(p, j);
        i++;
      }
    }
    return bounds;
  }
}
