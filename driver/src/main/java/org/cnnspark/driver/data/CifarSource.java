package org.cnnspark.driver.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.engine.Shape;

/**
 * CIFAR-10 binary batches ({@code data_batch_1.bin} ... {@code test_batch.bin}): records of one
 * label byte (0..9) and 3072 pixel bytes (3x32x32, planes R, G, B). {@code path} is a file, a
 * glob, or a directory; a directory means its {@code data_batch_*.bin} files when it has any
 * (so the test batch is not mixed into training data), else all its {@code .bin} files. Files are
 * taken in path order and their records numbered one after the other; each partition seeks to
 * its own records.
 */
final class CifarSource extends PlannedSource {
  private static final long serialVersionUID = 1L;

  static final int CLASSES = 10;
  static final Shape SHAPE = new Shape(3, 32, 32);
  static final int RECORD = 1 + 3 * 32 * 32;

  /** Files named *.bin, and directories holding them. */
  static final DataFormat FORMAT = new DataFormat("cifar") {
    @Override
    public boolean matchesName(String fileName) {
      return fileName.endsWith(".bin");
    }

    @Override
    public LoadedData load(SparkSession spark, DataOptions options) {
      return Datasets.loadPlanned(spark, options, this, CifarSource::plan);
    }
  };

  private CifarSource(Target target, Broadcast<byte[]> conf) {
    super(target, conf);
  }

  static List<FileStatus> files(String path, Configuration hadoop) {
    Path p = new Path(path);
    if (InputFiles.isGlob(path)) {
      List<FileStatus> found = InputFiles.glob(p, hadoop);
      if (found.isEmpty()) {
        throw new DataException("no file matches " + path + ": check the CIFAR-10 path");
      }
      return found;
    }
    FileStatus status = InputFiles.status(p, hadoop, "CIFAR-10 data");
    if (status.isFile()) {
      return List.of(status);
    }
    List<FileStatus> bins = new ArrayList<>();
    List<FileStatus> batches = new ArrayList<>();
    for (FileStatus s : InputFiles.list(p, hadoop)) {
      String name = s.getPath().getName();
      if (s.isFile() && name.endsWith(".bin")) {
        bins.add(s);
        if (name.startsWith("data_batch_")) {
          batches.add(s);
        }
      }
    }
    if (bins.isEmpty()) {
      throw new DataException("directory " + path + " holds no .bin files: point --data at the CIFAR-10 binary "
          + "batches (cifar-10-batches-bin/, a data_batch_N.bin file, or a glob)");
    }
    return batches.isEmpty() ? bins : batches;
  }

  static Plan plan(DataOptions options, Configuration hadoop, Broadcast<byte[]> conf) {
    List<FileStatus> files = files(options.path(), hadoop);
    long[] firstRecord = new long[files.size() + 1];
    for (int f = 0; f < files.size(); f++) {
      FileStatus s = files.get(f);
      long len = s.getLen();
      if (len == 0) {
        throw new DataException("CIFAR-10 file " + s.getPath() + " is empty: the dataset has no records there; "
            + "remove it or download it again");
      }
      if (len % RECORD != 0) {
        throw new DataException("CIFAR-10 file " + s.getPath() + " has " + len + " bytes, not a multiple of the "
            + RECORD + "-byte record (1 label byte + 3072 pixels): it is truncated or not CIFAR-10 binary"
            + (len % (RECORD + 1) == 0 ? " (it looks like CIFAR-100, whose 2 label bytes are not supported)" : "")
            + "; download it again");
      }
      firstRecord[f + 1] = firstRecord[f] + len / RECORD;
    }
    long n = firstRecord[files.size()];
    Shape shape = options.inputShape() != null ? options.inputShape() : SHAPE;
    int classes = options.expectedClasses() > 0 ? options.expectedClasses() : CLASSES;
    Target target = new Target(shape, options, classes);
    String problem = target.fileShapeProblem(SHAPE, "CIFAR-10 data " + options.path());
    if (problem != null) {
      throw new DataException(problem);
    }
    int parts = options.readPartitions(n, shape);
    long[] bounds = ReadSlice.bounds(n, parts);
    List<ReadSlice> slices = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      List<String> paths = new ArrayList<>();
      List<long[]> segments = new ArrayList<>();
      for (int f = 0; f < files.size(); f++) {
        long from = Math.max(bounds[p], firstRecord[f]);
        long to = Math.min(bounds[p + 1], firstRecord[f + 1]);
        if (from < to) {
          paths.add(files.get(f).getPath().toString());
          segments.add(new long[] {from - firstRecord[f], to - from});
        }
      }
      long[] starts = segments.stream().mapToLong(s -> s[0]).toArray();
      long[] counts = segments.stream().mapToLong(s -> s[1]).toArray();
      slices.add(new ReadSlice(p, bounds[p], bounds[p + 1] - bounds[p], paths.toArray(new String[0]), starts,
          counts, null));
    }
    return new Plan(new CifarSource(target, conf), slices, shape, classes, options.classNamesOrEmpty());
  }

  @Override
  void read(ReadSlice slice, BlockSink sink, Configuration hadoop) throws IOException {
    byte[] record = new byte[RECORD];
    boolean direct = target.matches(3, 32, 32);
    for (int s = 0; s < slice.paths.length; s++) {
      Path file = new Path(slice.paths[s]);
      long start = slice.starts[s];
      try (InputStream in = InputFiles.openAt(InputFiles.fs(file, hadoop), file, false, start * RECORD)) {
        for (long r = start; r < start + slice.counts[s]; r++) {
          if (in.readNBytes(record, 0, RECORD) < RECORD) {
            throw new EOFException();
          }
          try {
            int label = target.label(record[0] & 0xff);
            if (direct) {
              sink.add(record, 1, label);
            } else {
              byte[] pixels = Arrays.copyOfRange(record, 1, RECORD);
              sink.add(target.fit(new Pixels(3, 32, 32, pixels)), label);
            }
          } catch (BadRecordException e) {
            sink.bad("record " + r + " of CIFAR-10 file " + file, e);
          }
        }
      } catch (EOFException e) {
        throw new DataException("CIFAR-10 file " + file + " ended early (it changed while being read?); "
            + "check the file and run again", e);
      }
    }
  }
}
