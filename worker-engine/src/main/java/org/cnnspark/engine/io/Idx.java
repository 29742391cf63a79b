package org.cnnspark.engine.io;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * IDX files (MNIST, Fashion-MNIST): images (magic 0x00000803, N x H x W uint8) and labels
 * (magic 0x00000801, N uint8), raw or gzip-compressed (detected by the gzip magic, not the name).
 */
public final class Idx {
  private Idx() {}

  /** Decoded images: count x 1 x rows x cols uint8 pixels. */
  public record Images(int count, int rows, int cols, byte[] pixels) {}

  /** Largest image file accepted: far above any real IDX set, well below a bad length's damage. */
  static final long MAX_BYTES = 1L << 31;

  public static Images readImages(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return readImages(in, file.toString());
    }
  }

  public static int[] readLabels(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return readLabels(in, file.toString());
    }
  }

  public static Images readImages(InputStream raw, String source) throws IOException {
    DataInputStream in = open(raw);
    int magic = header(in, source);
    if (magic != 0x00000803) {
      throw bad(source, String.format("has magic 0x%08x, not 0x00000803 (an IDX image file)", magic)
          + (magic == 0x00000801 ? ": it is a labels file; --data names the images file" : ""));
    }
    int n = dim(in, source);
    int rows = dim(in, source);
    int cols = dim(in, source);
    long size = (long) n * rows * cols;
    if (size > MAX_BYTES - 16) {
      throw bad(source, "declares " + n + " images of " + rows + "x" + cols + ": too large to be an IDX image file");
    }
    byte[] pixels = new byte[(int) size];
    fill(in, pixels, source, n + " images of " + rows + "x" + cols);
    return new Images(n, rows, cols, pixels);
  }

  public static int[] readLabels(InputStream raw, String source) throws IOException {
    DataInputStream in = open(raw);
    int magic = header(in, source);
    if (magic != 0x00000801) {
      throw bad(source, String.format("has magic 0x%08x, not 0x00000801 (an IDX labels file)", magic));
    }
    int n = dim(in, source);
    byte[] b = new byte[n];
    fill(in, b, source, n + " labels");
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = b[i] & 0xff;
    }
    return labels;
  }

  private static DataInputStream open(InputStream raw) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    boolean gzip = b0 == 0x1f && b1 == 0x8b;
    return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(in), 1 << 16) : in);
  }

  private static int header(DataInputStream in, String source) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw bad(source, "is too short to hold an IDX header");
    }
  }

  private static int dim(DataInputStream in, String source) throws IOException {
    int d;
    try {
      d = in.readInt();
    } catch (EOFException e) {
      throw bad(source, "ends inside its IDX header");
    }
    if (d < 0) {
      throw bad(source, "has a negative dimension " + d);
    }
    return d;
  }

  private static void fill(DataInputStream in, byte[] dst, String source, String what) throws IOException {
    int got = in.readNBytes(dst, 0, dst.length);
    if (got < dst.length) {
      throw bad(source, "is truncated: it declares " + what + " (" + dst.length + " bytes) but holds only " + got
          + "; download it again");
    }
  }

  private static IllegalArgumentException bad(String source, String what) {
    return new IllegalArgumentException("IDX file " + source + " " + what);
  }
}
