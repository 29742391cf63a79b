package org.cnnspark.driver.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects one partition's decoded records into {@link ImageBlock}s of at most
 * {@link Target#blockRecords()} records, numbering them from {@code firstIndex} (or by the index
 * each one brings). A bad record fails the load, or with skipBadRecords is counted, logged and
 * left out. Buffers grow as records come: a split keeps one sink per destination partition open.
 */
final class BlockSink {
  private static final Logger LOG = LoggerFactory.getLogger(BlockSink.class);
  /** Skipped records named in the executor log, per partition; the rest are only counted. */
  private static final int LOGGED_SKIPS = 20;

  private final Target target;
  private final int imageSize;
  private final int blockRecords;
  private final List<ImageBlock> blocks = new ArrayList<>();
  private long next;
  private byte[] pixels;
  private int[] labels;
  private long[] indices;
  private int filled;
  private long skipped;

  BlockSink(Target target, long firstIndex) {
    this.target = target;
    this.imageSize = target.imageSize();
    this.blockRecords = target.blockRecords();
    this.next = firstIndex;
  }

  Target target() {
    return target;
  }

  /** Adds a record already in the target shape: imageSize bytes of src from off; its index follows the last. */
  void add(byte[] src, int off, int label) {
    add(src, off, label, next);
  }

  /** Adds a record of global index {@code index}, which must follow the last one added. */
  void add(byte[] src, int off, int label, long index) {
    if (pixels == null || filled == labels.length) {
      grow();
    }
    System.arraycopy(src, off, pixels, filled * imageSize, imageSize);
    labels[filled] = label;
    indices[filled++] = index;
    next = index + 1;
    if (filled == blockRecords) {
      flush();
    }
  }

  private void grow() {
    int capacity = pixels == null ? Math.min(blockRecords, 64) : Math.min(blockRecords, 2 * labels.length);
    pixels = pixels == null ? new byte[capacity * imageSize] : Arrays.copyOf(pixels, capacity * imageSize);
    labels = labels == null ? new int[capacity] : Arrays.copyOf(labels, capacity);
    indices = indices == null ? new long[capacity] : Arrays.copyOf(indices, capacity);
  }

  void add(Pixels p, int label) {
    add(p.data(), 0, label);
  }

  /** A bad record at {@code where} (e.g. "record 17 of file X"): skip it or fail the load. */
  void bad(String where, BadRecordException e) {
    if (!target.skip) {
      throw new DataException(where + " " + e.getMessage()
          + ". Fix or remove it, or pass --skip-bad-records to leave bad records out");
    }
    if (skipped < LOGGED_SKIPS) {
      LOG.warn("skipping {} {}", where, e.getMessage());
    }
    skipped++;
  }

  long skipped() {
    return skipped;
  }

  List<ImageBlock> finish() {
    flush();
    return blocks;
  }

  private void flush() {
    if (filled == 0) {
      return;
    }
    byte[] p = filled == labels.length ? pixels : Arrays.copyOf(pixels, filled * imageSize);
    int[] l = filled == labels.length ? labels : Arrays.copyOf(labels, filled);
    boolean consecutive = true;
    for (int i = 1; i < filled && consecutive; i++) {
      consecutive = indices[i] == indices[0] + i;
    }
    blocks.add(consecutive ? new ImageBlock(target.c, target.h, target.w, indices[0], p, l)
        : new ImageBlock(target.c, target.h, target.w, Arrays.copyOf(indices, filled), p, l));
    filled = 0;
    pixels = null;
    labels = null;
    indices = null;
  }
}
