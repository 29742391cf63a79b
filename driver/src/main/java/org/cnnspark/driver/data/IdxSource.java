package org.cnnspark.driver.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.Idx;

/**
 * IDX files (MNIST, Fashion-MNIST): an images file (magic 0x00000803: count, rows, cols, then
 * uint8 pixels) and a labels file (magic 0x00000801: count, then uint8 labels), raw or gzip
 * (detected by the gzip magic bytes). Each partition reads its record range: a raw file by
 * seeking, a gzip file by decompressing from the start and discarding the records before its
 * range (gzip cannot seek; that costs each task at most one pass over the file, which for IDX
 * sizes is far cheaper than funnelling the data through one task or the driver).
 *
 * <p>The header is parsed and checked by the engine's {@code org.cnnspark.engine.io.Idx}, which
 * also reads whole files into one array; here the driver needs the header alone and executors
 * need record ranges, hence this reader of the records.
 */
final class IdxSource extends PlannedSource {
  private static final long serialVersionUID = 1L;

  /** Rows and columns beyond this are a damaged header, not a real IDX image. */
  static final int MAX_SIDE = 1 << 14;

  /** Named *idx3-ubyte* / *idx1-ubyte* (MNIST's names), or starting with gzip's magic or an IDX magic of uint8 data. */
  static final DataFormat FORMAT = new DataFormat("idx") {
    @Override
    public boolean matchesName(String fileName) {
      return fileName.contains("idx3-ubyte") || fileName.contains("idx1-ubyte");
    }

    @Override
    public boolean matchesContent(byte[] head) {
      return head[0] == 0x1f && (head[1] & 0xff) == 0x8b || head[0] == 0 && head[1] == 0 && head[2] == 8;
    }

    @Override
    public LoadedData load(SparkSession spark, DataOptions options) {
      return Datasets.loadPlanned(spark, options, this, IdxSource::plan);
    }
  };

  private final boolean imagesGzip;
  private final boolean labelsGzip;
  private final int rows;
  private final int cols;
  private final long count;

  private IdxSource(Target target, Broadcast<byte[]> conf, boolean imagesGzip, boolean labelsGzip, int rows,
      int cols, long count) {
    super(target, conf);
    this.imagesGzip = imagesGzip;
    this.labelsGzip = labelsGzip;
    this.rows = rows;
    this.cols = cols;
    this.count = count;
  }

  /** The labels file beside an images file: {@code images-idx3} replaced by {@code labels-idx1}. */
  static String siblingLabels(String images) {
    int slash = images.lastIndexOf('/');
    String name = images.substring(slash + 1);
    if (!name.contains("images-idx3")) {
      return null;
    }
    return images.substring(0, slash + 1) + name.replace("images-idx3", "labels-idx1");
  }

  static Plan plan(DataOptions options, Configuration hadoop, Broadcast<byte[]> conf) {
    Path images = new Path(options.path());
    FileStatus imageStatus = InputFiles.status(images, hadoop, "IDX images file");
    if (imageStatus.isDirectory()) {
      throw new DataException(images + " is a directory: for IDX data, --data names the images file (e.g. "
          + "train-images-idx3-ubyte.gz); its labels file is found beside it");
    }
    Idx.Header ih = header(images, hadoop, Idx.IMAGES_MAGIC);
    long n = ih.dims()[0];
    long rl = ih.dims()[1];
    long cl = ih.dims()[2];
    if (rl < 1 || cl < 1 || rl > MAX_SIDE || cl > MAX_SIDE) {
      throw new DataException("IDX images file " + images + " declares images of " + rl + "x" + cl
          + ": the header is damaged (sides must be 1.." + MAX_SIDE + "); download the file again");
    }
    int r = (int) rl;
    int c = (int) cl;
    long imageSize = (long) r * c;
    if (!ih.gzip()) {
      checkLength(images, imageStatus.getLen(), ih.bytes(), n, imageSize, "images");
    }
    if (n == 0) {
      throw new DataException("IDX images file " + images + " holds no images: the dataset is empty");
    }

    String labelsName = options.labelsPath() != null ? options.labelsPath() : siblingLabels(options.path());
    Path labels = labelsName == null ? null : new Path(labelsName);
    boolean labelsGzip = false;
    if (labels == null || (options.labelsPath() == null && !InputFiles.exists(labels, hadoop))) {
      if (!options.labelsOptional()) {
        throw new DataException(labels == null
            ? "cannot tell the labels file of " + images + " (its name has no 'images-idx3' to replace by "
                + "'labels-idx1'): pass the labels file with --labels PATH"
            : "IDX labels file " + labels + " (beside the images file " + images + ") does not exist: "
                + "put it there or pass its path with --labels PATH");
      }
      labels = null;
    } else {
      FileStatus labelStatus = InputFiles.status(labels, hadoop, "IDX labels file");
      Idx.Header lh = header(labels, hadoop, Idx.LABELS_MAGIC);
      if (lh.dims()[0] != n) {
        throw new DataException("IDX labels file " + labels + " holds " + lh.dims()[0] + " labels but the images file "
            + images + " holds " + n + " images: they do not belong together; check --data and --labels");
      }
      if (!lh.gzip()) {
        checkLength(labels, labelStatus.getLen(), lh.bytes(), n, 1, "labels");
      }
      labelsGzip = lh.gzip();
    }

    Shape dataShape = new Shape(1, r, c);
    Shape shape = options.inputShape() != null ? options.inputShape() : dataShape;
    Target target = new Target(shape, options, options.expectedClasses());
    String problem = target.fileShapeProblem(dataShape, "IDX images file " + images);
    if (problem != null) {
      throw new DataException(problem);
    }
    IdxSource source = new IdxSource(target, conf, ih.gzip(), labelsGzip, r, c, n);
    int parts = options.readPartitions(n, shape);
    long[] bounds = ReadSlice.bounds(n, parts);
    List<ReadSlice> slices = new ArrayList<>();
    String[] paths = {images.toString(), labels == null ? null : labels.toString()};
    for (int p = 0; p < parts; p++) {
      long records = bounds[p + 1] - bounds[p];
      slices.add(new ReadSlice(p, bounds[p], records, paths, new long[] {bounds[p]}, new long[] {records}, null));
    }
    return new Plan(source, slices, shape, options.expectedClasses(), options.classNamesOrEmpty());
  }

  private static void checkLength(Path file, long actual, long headerBytes, long n, long recordBytes, String what) {
    long expected = headerBytes + n * recordBytes;
    if (actual < expected) {
      throw new DataException("IDX " + what + " file " + file + " is truncated: its header declares " + n + " " + what
          + " (" + expected + " bytes) but the file has " + actual + " bytes; download it again");
    }
    if (actual > expected) {
      throw new DataException("IDX " + what + " file " + file + " has " + (actual - expected) + " bytes beyond the " + n
          + " " + what + " its header declares: the file or its header is damaged; download it again");
    }
  }

  /** The checked header of an IDX file, read by the engine's parser; its errors become DataExceptions. */
  static Idx.Header header(Path file, Configuration hadoop, int magicWanted) {
    try (InputStream in = InputFiles.fs(file, hadoop).open(file)) {
      return Idx.readHeader(in, file.toString(), magicWanted);
    } catch (IllegalArgumentException e) {
      throw new DataException(e.getMessage(), e);
    } catch (IOException e) {
      throw new DataException("cannot read IDX file " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  void read(ReadSlice slice, BlockSink sink, Configuration hadoop) throws IOException {
    if (slice.records == 0) {
      return;
    }
    Path images = new Path(slice.paths[0]);
    Path labels = slice.paths[1] == null ? null : new Path(slice.paths[1]);
    long start = slice.starts[0];
    int imageSize = rows * cols;
    boolean direct = target.matches(1, rows, cols);
    byte[] pixels = new byte[imageSize];
    byte[] label1 = new byte[1];
    try (InputStream in = open(images, imagesGzip, 16 + start * imageSize, hadoop, start, "images");
        InputStream lin = labels == null ? null : open(labels, labelsGzip, 8 + start, hadoop, start, "labels")) {
      for (long i = start; i < start + slice.records; i++) {
        readRecord(in, pixels, images, i, "images");
        if (lin != null) {
          readRecord(lin, label1, labels, i, "labels");
        }
        try {
          int label = lin == null ? -1 : target.label(label1[0] & 0xff);
          if (direct) {
            sink.add(pixels, 0, label);
          } else {
            sink.add(target.fit(new Pixels(1, rows, cols, pixels)), label);
          }
        } catch (BadRecordException e) {
          sink.bad("record " + i + " of IDX labels file " + labels, e);
        }
      }
    } catch (ZipException e) {
      throw new DataException("IDX file " + images.getName() + " or its labels file is a damaged gzip file ("
          + e.getMessage() + "); download it again", e);
    }
  }

  private InputStream open(Path file, boolean gzip, long offset, Configuration hadoop, long record, String what)
      throws IOException {
    try {
      return InputFiles.openAt(InputFiles.fs(file, hadoop), file, gzip, offset);
    } catch (EOFException e) {
      throw truncated(file, what, record);
    }
  }

  private void readRecord(InputStream in, byte[] pixels, Path file, long index, String what) throws IOException {
    try {
      if (in.readNBytes(pixels, 0, pixels.length) < pixels.length) {
        throw truncated(file, what, index);
      }
    } catch (EOFException e) {
      throw truncated(file, what, index);
    }
  }

  private DataException truncated(Path file, String what, long index) {
    return new DataException("IDX " + what + " file " + file + " is truncated: its header declares " + count + " "
        + what + " but it ends before record " + index + "; download it again");
  }
}
