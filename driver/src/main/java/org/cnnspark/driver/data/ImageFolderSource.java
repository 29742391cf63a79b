package org.cnnspark.driver.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.engine.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image folders: {@code root/<class>/...} holding JPEG, PNG, BMP or GIF files (sub-folders of a
 * class folder are searched too). Class indices are the sorted folder names, or a given list (a
 * trained model's). The driver lists the files (names only, never pixels) in a fixed order:
 * files directly under the root first (unlabelled, only accepted when labels are optional), then
 * class folders by name, files by path. Executors read and decode their own files with ImageIO.
 * This rather than {@code spark.read.format("image")}: its row order depends on file sizes, and it
 * gives BGR bytes; listing ourselves fixes the order and the global indices before decoding.
 *
 * <p>The image shape is the input shape when given, else that of the first image. Gray images
 * (without a palette) have one channel, all others three (RGB, alpha dropped); an image of
 * another shape or channel count is converted when resizing is on, else it is a bad record.
 */
final class ImageFolderSource extends PlannedSource {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ImageFolderSource.class);

  static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");
  static final long MAX_FILE_BYTES = 64L << 20;

  /** A directory with sub-folders (one per class). */
  static final DataFormat FORMAT = new DataFormat("images") {
    @Override
    public boolean matchesFolders() {
      return true;
    }

    @Override
    public LoadedData load(SparkSession spark, DataOptions options) {
      return Datasets.loadPlanned(spark, options, this, ImageFolderSource::plan);
    }
  };

  /** What every slice path follows: the root's path and a slash (or nothing). */
  private final String prefix;

  private ImageFolderSource(Target target, Broadcast<byte[]> conf, String prefix) {
    super(target, conf);
    this.prefix = prefix;
  }

  /** The path of a slice's record i. */
  String file(ReadSlice slice, int i) {
    return prefix + slice.paths[i];
  }

  static boolean isImageName(String name) {
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  static Plan plan(DataOptions options, Configuration hadoop, Broadcast<byte[]> conf) {
    Path root = new Path(options.path());
    FileStatus rootStatus = InputFiles.status(root, hadoop, "image folder");
    if (!rootStatus.isDirectory()) {
      throw new DataException(root + " is a file: for images, --data names a directory with one sub-folder per "
          + "class (e.g. data/cat/1.jpg, data/dog/2.png)");
    }
    List<FileStatus> entries = InputFiles.list(root, hadoop);
    List<String> folders = new ArrayList<>();
    for (FileStatus s : entries) {
      if (s.isDirectory()) {
        folders.add(s.getPath().getName());
      }
    }
    List<String> classes = options.classNames() != null ? options.classNames() : folders;
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < classes.size(); i++) {
      index.put(classes.get(i), i);
    }

    List<String> paths = new ArrayList<>();
    List<Long> lengths = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    int[] ignored = {0};
    for (FileStatus s : entries) {
      if (s.isFile()) {
        addIfImage(s, -1, paths, lengths, labels, ignored);
      }
    }
    if (!paths.isEmpty() && !options.labelsOptional()) {
      throw new DataException("image folder " + root + " holds image files outside class sub-folders (e.g. "
          + paths.get(0) + "): move each image into a sub-folder named after its class");
    }
    List<Path> folderPaths = new ArrayList<>();
    for (String folder : folders) {
      if (index.get(folder) == null && !options.labelsOptional()) {
        throw new DataException("folder " + folder + " in " + root + " is not one of the " + classes.size()
            + " classes " + classes + " (those of the model): remove or rename the folder");
      }
      folderPaths.add(new Path(root, folder));
    }
    long t0 = System.nanoTime();
    List<List<FileStatus>> listed = InputFiles.filesUnder(folderPaths, hadoop);
    for (int f = 0; f < folders.size(); f++) {
      Integer label = index.get(folders.get(f));
      for (FileStatus s : listed.get(f)) {
        addIfImage(s, label == null ? -1 : label, paths, lengths, labels, ignored);
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    LOG.info("listed {} images in {} class folders of {} in {} s ({} files/s)", paths.size(), folders.size(), root,
        String.format("%.2f", seconds), Math.round(paths.size() / Math.max(seconds, 1e-6)));
    if (ignored[0] > 0) {
      LOG.info("ignored {} files under {} whose names do not end in {}", ignored[0], root, EXTENSIONS);
    }
    if (paths.isEmpty()) {
      throw new DataException("image folder " + root + " holds no images (" + String.join(", ", EXTENSIONS)
          + " files in one sub-folder per class): the dataset is empty");
    }
    if (folders.isEmpty() && !options.labelsOptional()) {
      throw new DataException("image folder " + root + " has no class sub-folders: put each class's images in "
          + "a sub-folder named after the class");
    }

    Shape shape = options.inputShape() != null ? options.inputShape() : firstShape(paths, lengths, hadoop, options);
    // Slices travel inside tasks: paths relative to the root keep a task small (60,000 files in 2 slices:
    // 1.7 MB a task with whole paths, which Spark warns about).
    String rootName = rootStatus.getPath().toString();
    String rootPrefix = rootName.endsWith("/") ? rootName : rootName + "/";
    String prefix = paths.stream().allMatch(p -> p.startsWith(rootPrefix)) ? rootPrefix : "";
    for (int i = 0; i < paths.size() && !prefix.isEmpty(); i++) {
      paths.set(i, paths.get(i).substring(prefix.length()));
    }
    ImageFolderSource source = new ImageFolderSource(new Target(shape, options, classes.size()), conf, prefix);
    int parts = options.readPartitions(paths.size(), shape);
    long[] bounds = ReadSlice.bounds(paths.size(), parts);
    List<ReadSlice> slices = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      int from = (int) bounds[p];
      int to = (int) bounds[p + 1];
      slices.add(new ReadSlice(p, from, to - from, paths.subList(from, to).toArray(new String[0]), null,
          lengths.subList(from, to).stream().mapToLong(Long::longValue).toArray(),
          labels.subList(from, to).stream().mapToInt(Integer::intValue).toArray()));
    }
    return new Plan(source, slices, shape, classes.size(), classes);
  }

  private static void addIfImage(FileStatus s, int label, List<String> paths, List<Long> lengths,
      List<Integer> labels, int[] ignored) {
    if (InputFiles.hidden(s.getPath())) {
      return;
    }
    if (!isImageName(s.getPath().getName())) {
      ignored[0]++;
      return;
    }
    paths.add(s.getPath().toString());
    lengths.add(s.getLen());
    labels.add(label);
  }

  /** The shape of the first image that decodes (bad ones before it fail, or are passed over when skipping). */
  private static Shape firstShape(List<String> paths, List<Long> lengths, Configuration hadoop, DataOptions options) {
    for (int i = 0; i < paths.size(); i++) {
      Path file = new Path(paths.get(i));
      try {
        Pixels p = Pixels.decode(InputFiles.readAll(InputFiles.fs(file, hadoop), file, lengths.get(i),
            MAX_FILE_BYTES));
        LOG.info("image shape {}x{}x{}, from the first image {}", p.c(), p.h(), p.w(), file);
        return new Shape(p.c(), p.h(), p.w());
      } catch (BadRecordException | IOException e) {
        if (!options.skipBadRecords()) {
          throw new DataException("image file " + file + " " + e.getMessage() + ". Fix or remove it, or pass "
              + "--skip-bad-records to leave bad records out");
        }
      }
    }
    throw new DataException("no image under " + options.path() + " decodes: the dataset is empty");
  }

  @Override
  void read(ReadSlice slice, BlockSink sink, Configuration hadoop) {
    for (int i = 0; i < slice.paths.length; i++) {
      Path file = new Path(file(slice, i));
      try {
        FileSystem fs = InputFiles.fs(file, hadoop);
        Pixels p = target.fit(Pixels.decode(InputFiles.readAll(fs, file, slice.counts[i], MAX_FILE_BYTES)));
        sink.add(p, slice.labels[i]);
      } catch (BadRecordException e) {
        sink.bad("image file " + file, e);
      } catch (IOException e) {
        sink.bad("image file " + file, new BadRecordException("cannot be read (" + e + ")"));
      }
    }
  }
}
