package org.cnnspark.engine.io;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.cnnspark.engine.Shape;

/**
 * IDX files (MNIST, Fashion-MNIST): images (magic 0x00000803: uint8, 3 dimensions N x H x W) and
 * labels (magic 0x00000801: uint8, 1 dimension N), big-endian header, raw or gzip-compressed
 * (detected by the gzip magic bytes, not by the name). No Spark here: the driver reads the same
 * files through Hadoop's FileSystem streams.
 *
 * <p>Nothing is allocated from a declared size alone: data is read in bounded chunks, so a corrupt
 * header costs no more memory than the file holds; a short file is reported with the bytes
 * expected and found, and bytes past the declared data are refused (they mean wrong dimensions).
 */
public final class Idx {
  private Idx() {}

  /** Decoded images: count x 1 x rows x cols uint8 pixels (NCHW with C = 1). */
  public record Images(int count, int rows, int cols, byte[] pixels) {
    public Shape shape() {
      return new Shape(1, rows, cols);
    }
  }

  public static final int IMAGES_MAGIC = 0x00000803;
  public static final int LABELS_MAGIC = 0x00000801;
  /** Largest data accepted: one Java array. Real IDX sets are far smaller (MNIST train: 47 MB). */
  static final long MAX_BYTES = Integer.MAX_VALUE - 8;

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

  /**
   * What an IDX header says: whether the file is gzip-compressed, and its dimensions, the record
   * count first (images: count, rows, columns; labels: count).
   */
  public record Header(boolean gzip, int[] dims) {
    /** Bytes of the (uncompressed) header: the magic number and one int per dimension. */
    public long bytes() {
      return 4 + 4L * dims.length;
    }
  }

  /**
   * Reads and checks the header of an images ({@link #IMAGES_MAGIC}) or labels ({@link
   * #LABELS_MAGIC}) file at the start of {@code raw}, for a reader that takes the records itself
   * (the driver reads record ranges on executors). IllegalArgumentException naming {@code source}
   * and what is wrong.
   */
  public static Header readHeader(InputStream raw, String source, int magicWanted) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    boolean gzip = isGzip(in);
    return new Header(gzip, dims(open(in, gzip, source), source, magicWanted));
  }

  /** Reads an image file from {@code raw} to its end (the caller closes it); {@code source} names it in errors. */
  public static Images readImages(InputStream raw, String source) throws IOException {
    DataInputStream in = open(raw, source);
    int[] dims = dims(in, source, IMAGES_MAGIC);
    int n = dims[0];
    int rows = dims[1];
    int cols = dims[2];
    if (rows == 0 || cols == 0) {
      throw bad(source, "declares images of " + rows + "x" + cols + " pixels");
    }
    long size = (long) n * rows * cols;
    if (size > MAX_BYTES) {
      throw bad(source, "declares " + n + " images of " + rows + "x" + cols + " (" + size
          + " bytes): more than this reader takes in one array; split the file");
    }
    byte[] pixels = data(in, size, source, n + " images of " + rows + "x" + cols);
    return new Images(n, rows, cols, pixels);
  }

  /** Reads a labels file from {@code raw} to its end (the caller closes it); labels are 0..255. */
  public static int[] readLabels(InputStream raw, String source) throws IOException {
    DataInputStream in = open(raw, source);
    int n = dims(in, source, LABELS_MAGIC)[0];
    byte[] b = data(in, n, source, n + " labels");
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = b[i] & 0xff;
    }
    return labels;
  }

  private static DataInputStream open(InputStream raw, String source) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    return open(in, isGzip(in), source);
  }

  /** Whether the stream starts with the gzip magic bytes (the name does not decide); reads nothing. */
  private static boolean isGzip(BufferedInputStream in) throws IOException {
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    return b0 == 0x1f && b1 == 0x8b;
  }

  private static DataInputStream open(BufferedInputStream in, boolean gzip, String source) throws IOException {
    if (gzip) {
      try {
        return new DataInputStream(new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16));
      } catch (ZipException | EOFException e) {
        throw bad(source, "starts like a gzip file but its gzip header is damaged (" + e.getMessage() + "); download it again");
      }
    }
    return new DataInputStream(in);
  }

  /** The magic number, checked against the one wanted, then the dimensions it announces. */
  private static int[] dims(DataInputStream in, String source, int magicWanted) throws IOException {
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      throw bad(source, "is too short to hold an IDX header (4 bytes of magic number)");
    } catch (ZipException e) {
      throw bad(source, "is a damaged gzip file (" + e.getMessage() + "); download it again");
    }
    boolean images = magicWanted == IMAGES_MAGIC;
    if (magic != magicWanted) {
      throw bad(source, String.format("has magic 0x%08x, not 0x%08x (an IDX %s file)", magic, magicWanted,
          images ? "images" : "labels") + magicProblem(magic, images));
    }
    String[] names = images ? new String[] {"image count", "row count", "column count"} : new String[] {"label count"};
    int[] dims = new int[names.length];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = dim(in, source, names[i]);
    }
    return dims;
  }

  private static String magicProblem(int magic, boolean images) {
    if (images && magic == LABELS_MAGIC) {
      return "; it is a labels file: give the images file instead";
    }
    if (!images && magic == IMAGES_MAGIC) {
      return "; it is an images file, not labels: give the labels file instead";
    }
    if ((magic >>> 16) != 0) {
      return "; it is not an IDX file";
    }
    int type = (magic >>> 8) & 0xff;
    if (type != 0x08) {
      return String.format("; it holds IDX element type 0x%02x, and only unsigned bytes (0x08) are supported", type);
    }
    return "; it has " + (magic & 0xff) + " dimensions where an IDX " + (images ? "images" : "labels") + " file has "
        + (images ? "3 (count, rows, columns)" : "1 (count)");
  }

  private static int dim(DataInputStream in, String source, String what) throws IOException {
    int d;
    try {
      d = in.readInt();
    } catch (EOFException e) {
      throw bad(source, "ends inside its IDX header, before the " + what);
    } catch (ZipException e) {
      throw bad(source, "is a damaged gzip file (" + e.getMessage() + "); download it again");
    }
    if (d < 0) {
      throw bad(source, "has a negative " + what + " " + d + " in its header");
    }
    return d;
  }

  /** Exactly {@code size} data bytes, then the end of the stream. */
  private static byte[] data(DataInputStream in, long size, String source, String what) throws IOException {
    byte[] b;
    try {
      b = Bytes.readUpTo(in, size);
    } catch (EOFException e) { // GZIPInputStream: "Unexpected end of ZLIB input stream"
      throw bad(source, "is truncated: its gzip stream ends early, inside the " + what + " it declares (" + size
          + " bytes after the header); download it again");
    } catch (ZipException e) {
      throw bad(source, "is a damaged gzip file (" + e.getMessage() + "); download it again");
    }
    if (b.length < size) {
      throw bad(source, "is truncated: it declares " + what + " (" + size + " bytes after the header) but holds only "
          + b.length + "; download it again");
    }
    try {
      if (in.read() >= 0) {
        throw bad(source, "has bytes after the " + what + " its header declares: the header's dimensions are wrong"
            + " or it is not an IDX file");
      }
    } catch (EOFException | ZipException e) {
      throw bad(source, "is a damaged gzip file after its data (" + e.getMessage() + "); download it again");
    }
    return b;
  }

  private static IllegalArgumentException bad(String source, String what) {
    return new IllegalArgumentException("IDX file " + source + " " + what);
  }
}
