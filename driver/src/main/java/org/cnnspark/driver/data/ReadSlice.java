package org.cnnspark.driver.data;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamField;
import java.io.Serializable;

/**
 * The records one partition reads: {@code records} source records that become global indices
 * {@code firstIndex ...}. For IDX: paths = {images, labels or null} with one segment; for CIFAR: one
 * segment per file (start record, record count); for image folders: one file per record, with
 * counts holding the file lengths and labels the class indices. Public only so that the Kryo registrator can name it; not part of the API.
 * Java serialization (Spark's default) writes the layout of {@link #writeObject}.
 */
public final class ReadSlice implements Serializable {
  private static final long serialVersionUID = 1L;
  /** None: the stream holds {@link #writeObject}'s layout, not Java's description of the fields. */
  private static final ObjectStreamField[] serialPersistentFields = {};

  int partition;
  long firstIndex;
  long records;
  String[] paths;
  long[] starts;
  long[] counts;
  int[] labels;

  /** For Kryo. */
  @SuppressWarnings("unused")
  private ReadSlice() {}

  ReadSlice(int partition, long firstIndex, long records, String[] paths, long[] starts, long[] counts,
      int[] labels) {
    this.partition = partition;
    this.firstIndex = firstIndex;
    this.records = records;
    this.paths = paths;
    this.starts = starts;
    this.counts = counts;
    this.labels = labels;
  }

  /** Java serialization's layout: partition (int), firstIndex, records (long), then paths, starts, counts, labels as arrays. */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeInt(partition);
    out.writeLong(firstIndex);
    out.writeLong(records);
    out.writeObject(paths);
    out.writeObject(starts);
    out.writeObject(counts);
    out.writeObject(labels);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    partition = in.readInt();
    firstIndex = in.readLong();
    records = in.readLong();
    paths = (String[]) in.readObject();
    starts = (long[]) in.readObject();
    counts = (long[]) in.readObject();
    labels = (int[]) in.readObject();
  }

  /** The same records numbered from another first index (after earlier partitions skipped some). */
  ReadSlice renumbered(long first) {
    return new ReadSlice(partition, first, records, paths, starts, counts, labels);
  }

  /**
   * Splits n records into w contiguous ranges: bounds[p] .. bounds[p + 1]. The first n % w ranges
   * get one record more, so with n < w the trailing ranges are empty and partition 0 starts at 0.
   */
  static long[] bounds(long n, int w) {
    long[] b = new long[w + 1];
    long base = n / w;
    long extra = n % w;
    for (int p = 0; p < w; p++) {
      b[p + 1] = b[p] + base + (p < extra ? 1 : 0);
    }
    return b;
  }

  /** The range that holds g: the last p with bounds[p] <= g (empty ranges are passed over). */
  static int partitionOf(long g, long[] bounds) {
    int lo = 0;
    int hi = bounds.length - 2;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (bounds[mid] <= g) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }
}
