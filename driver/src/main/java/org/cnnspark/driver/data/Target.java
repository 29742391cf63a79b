package org.cnnspark.driver.data;

import java.io.Serializable;
import org.cnnspark.engine.Shape;

/**
 * What every record must become: its shape, label range, and whether bad records are skipped.
 * Shipped to the executors inside the decoding closures (hence Serializable; it is small).
 */
final class Target implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Labels at or above this are refused even when the number of classes comes from the data. */
  static final int MAX_CLASSES = 1 << 16;
  /** Records per block, and bytes per block: blocks stay small enough to ship and to cache. */
  static final int BLOCK_RECORDS = 4096;
  static final int BLOCK_BYTES = 16 << 20;

  final int c;
  final int h;
  final int w;
  final boolean resize;
  final boolean skip;
  /** Labels must be below this; 0 = only below MAX_CLASSES. */
  final int numClasses;
  final boolean labelsOptional;

  Target(Shape shape, DataOptions options, int numClasses) {
    // Checked before any record is read: every image is allocated at this size (a resize to an
    // absurd --input-shape would otherwise take the executor's heap, or overflow an int).
    long bytes = (long) shape.c() * shape.h() * shape.w();
    if (bytes > Pixels.MAX_PIXELS) {
      throw new DataException("images of shape " + shape + " (" + bytes + " bytes each) are larger than this loader takes"
          + " (at most " + Pixels.MAX_PIXELS + " bytes per image): check --input-shape, or the data's header");
    }
    this.c = shape.c();
    this.h = shape.h();
    this.w = shape.w();
    this.resize = options.resize();
    this.skip = options.skipBadRecords();
    this.numClasses = numClasses;
    this.labelsOptional = options.labelsOptional();
  }

  Shape shape() {
    return new Shape(c, h, w);
  }

  int imageSize() {
    return c * h * w;
  }

  int blockRecords() {
    return Math.max(1, Math.min(BLOCK_RECORDS, BLOCK_BYTES / imageSize()));
  }

  boolean matches(int channels, int height, int width) {
    return channels == c && height == h && width == w;
  }

  /** The image in this shape: as is, converted when resizing is on, else refused. */
  Pixels fit(Pixels p) throws BadRecordException {
    if (matches(p.c(), p.h(), p.w())) {
      return p;
    }
    if (!resize) {
      throw new BadRecordException("is " + p.shapeText() + " but the input shape is " + shape()
          + ": pass --resize to convert images to the input shape, or give the data's shape as --input-shape");
    }
    if (p.c() != c && !convertible(p.c(), c)) {
      throw new BadRecordException("has " + p.c() + " channels and cannot be converted to " + c
          + " (only gray <-> RGB is converted)");
    }
    return p.withChannels(c).resized(h, w);
  }

  static boolean convertible(int from, int to) {
    return (from == 1 || from == 3) && (to == 1 || to == 3);
  }

  /** Checks a class index; -1 (unknown) passes only when labels are optional. */
  int label(long label) throws BadRecordException {
    if (label == -1 && labelsOptional) {
      return -1;
    }
    int limit = numClasses > 0 ? numClasses : MAX_CLASSES;
    if (label < 0 || label >= limit) {
      throw new BadRecordException("has label " + label + ", outside [0, " + limit + ")"
          + (numClasses > 0 ? " (" + numClasses + " classes)" : ": labels must be class indices 0, 1, 2, ..."));
    }
    return (int) label;
  }

  /** Message for a shape that differs for the whole file (IDX, CIFAR), or null when it fits. */
  String fileShapeProblem(Shape data, String file) {
    if (matches(data.c(), data.h(), data.w())) {
      return null;
    }
    if (!resize) {
      return file + " holds images of " + data + " but the input shape is " + shape()
          + ": pass --resize to convert them, or leave out --input-shape to use the data's shape";
    }
    if (data.c() != c && !convertible(data.c(), c)) {
      return file + " holds images with " + data.c() + " channels, which cannot be converted to " + c;
    }
    return null;
  }
}
