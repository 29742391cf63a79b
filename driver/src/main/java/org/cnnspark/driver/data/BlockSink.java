package org.cnnspark.driver.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects one partition's decoded records into {@link ImageBlock}s of at most
 * {@link Target#blockRecords()} records, numbering them from {@code firstIndex}. A bad record
 * fails the load, or with skipBadRecords is counted, logged and left out.
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

  /** Adds a record already in the target shape: imageSize bytes of src from off. */
  void add(byte[] src, int off, int label) {
    if (pixels == null) {
      pixels = new byte[blockRecords * imageSize];
      labels = new int[blockRecords];
    }
    System.arraycopy(src, off, pixels, filled * imageSize, imageSize);
    labels[filled++] = label;
    if (filled == blockRecords) {
      flush();
    }
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
    byte[] p = filled == blockRecords ? pixels : Arrays.copyOf(pixels, filled * imageSize);
    int[] l = filled == blockRecords ? labels : Arrays.copyOf(labels, filled);
    blocks.add(new ImageBlock(target.c, target.h, target.w, next, p, l));
    next += filled;
    filled = 0;
    pixels = null;
    labels = null;
  }
}
