package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.cnnspark.driver.data.ImageBlock;

/**
 * One partition's cached blocks seen as records 0..count-1 in index order, without copying
 * them: minibatches are gathered record by record into a small batch buffer.
 */
final class PartitionData {
  private final List<ImageBlock> blocks = new ArrayList<>();
  /** starts[b] = local index of the first record of block b; starts[blocks] = count. */
  private final int[] starts;
  private final int imageSize;

  PartitionData(List<ImageBlock> blocks) {
    this(blocks.iterator());
  }

  PartitionData(Iterator<ImageBlock> it) {
    int size = -1;
    while (it.hasNext()) {
      ImageBlock b = it.next();
      if (b.count() == 0) {
        continue;
      }
      if (size >= 0 && b.imageSize() != size) {
        throw new IllegalStateException("blocks of one partition hold images of different sizes: " + size
            + " and " + b.imageSize() + " bytes");
      }
      size = b.imageSize();
      blocks.add(b);
    }
    imageSize = Math.max(size, 0);
    starts = new int[blocks.size() + 1];
    long total = 0;
    for (int b = 0; b < blocks.size(); b++) {
      starts[b] = (int) total;
      total += blocks.get(b).count();
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalStateException("a partition holds " + total + " records, more than 2^31: use more partitions");
    }
    starts[blocks.size()] = (int) total;
  }

  int count() {
    return starts[blocks.size()];
  }

  int imageSize() {
    return imageSize;
  }

  /** Copies records order[from..to) into pixels/labels starting at slot 0. */
  void gather(int[] order, int from, int to, byte[] pixels, int[] labels) {
    for (int i = from; i < to; i++) {
      int r = order[i];
      int b = block(r);
      ImageBlock blk = blocks.get(b);
      int off = r - starts[b];
      System.arraycopy(blk.pixels(), off * imageSize, pixels, (i - from) * imageSize, imageSize);
      labels[i - from] = blk.labels()[off];
    }
  }

  /** Copies local record r into batch slot {@code slot}. */
  void copy(int r, byte[] pixels, int[] labels, int slot) {
    int b = block(r);
    ImageBlock blk = blocks.get(b);
    int off = r - starts[b];
    System.arraycopy(blk.pixels(), off * imageSize, pixels, slot * imageSize, imageSize);
    labels[slot] = blk.labels()[off];
  }

  /** The block holding local record r (binary search over block starts). */
  private int block(int r) {
    int lo = 0;
    int hi = blocks.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= r) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }
}
