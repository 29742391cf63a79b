package org.cnnspark.driver.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.spark.JobNames;
import org.cnnspark.driver.spark.SparkErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a dataset into cached {@link ImageBlock}s split into W partitions by a {@link DataSplit}
 * (see {@link LoadedData}). Every record is decoded once, on the executors; the driver only reads
 * headers and file listings. Bad input fails with a {@link DataException} naming the file or
 * record and what to do; with skipBadRecords, bad records are left out and counted instead.
 */
public final class Datasets {
  private static final Logger LOG = LoggerFactory.getLogger(Datasets.class);

  private Datasets() {}

  /**
   * Classes that Kryo must know (spark.kryo.registrationRequired=true) to load data. Besides ours:
   * Spark's Parquet reader collects file schemas (StructType) through Kryo, and registers none of
   * their classes itself.
   */
  public static List<Class<?>> kryoClasses() {
    List<Class<?>> classes = new ArrayList<>(List.of(ImageBlock.class, ImageBlock[].class, ReadSlice.class,
        ReadSlice[].class, byte[].class, int[].class, long[].class, long[][].class, String[].class, Object[].class,
        StructType.class, StructType[].class, StructField.class, StructField[].class, Metadata.class,
        ArrayType.class, MapType.class, DecimalType.class, SQLDataTypes.VectorType().getClass()));
    for (DataType t : List.of(DataTypes.BinaryType, DataTypes.BooleanType, DataTypes.ByteType, DataTypes.ShortType,
        DataTypes.IntegerType, DataTypes.LongType, DataTypes.FloatType, DataTypes.DoubleType, DataTypes.StringType,
        DataTypes.DateType, DataTypes.TimestampType, DataTypes.TimestampNTZType, DataTypes.NullType)) {
      classes.add(t.getClass());
    }
    for (String scalaMap : List.of("Map1", "Map2", "Map3", "Map4")) {
      try {
        classes.add(Class.forName("scala.collection.immutable.Map$" + scalaMap));
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("Scala 2.13 collections are missing from the class path", e);
      }
    }
    return classes;
  }

  /** Reads the data at options.path() in options.format() (detected when null). */
  public static LoadedData load(SparkSession spark, DataOptions options) {
    if (options.path() == null || options.path().isBlank()) {
      throw new DataException("no data path given: pass --data PATH");
    }
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    DataFormat format = options.format() != null ? DataFormats.get(options.format()) : detect(options.path(), hadoop);
    return split(format.load(spark, options), options);
  }

  /**
   * The data in the options' split. Formats load contiguous partitions (a DataFrame may be split
   * as it is decoded); another split moves the records with one shuffle, then drops the first
   * cache. One partition is the same under every split.
   */
  static LoadedData split(LoadedData data, DataOptions options) {
    DataSplit split = options.split();
    int w = options.partitions();
    Chunks chunks = options.shuffleBuffer() > 0
        ? Chunks.of(data.count(), w, options.shuffleBuffer(), data.shape().size()) : null;
    if (data.split() == split && data.partitions() == w && Objects.equals(data.chunks(), chunks)) {
      return data;
    }
    if (w == 1 && data.partitions() == 1 && chunks == null) {
      return new LoadedData(data.blocks(), data.shape(), data.count(), data.numClasses(), data.classNames(),
          data.skipped(), split);
    }
    String name = options.path() != null ? options.path() : "the DataFrame";
    JavaRDD<ImageBlock> blocks = Redistribution.run(data.blocks(), null, data.count(), w, split, options.splitSeed(),
        chunks, new Target(data.shape(), options, 0), name);
    try {
      partitionStats(blocks, "cnn-spark load " + name + ": split (" + split + ")");
    } finally {
      data.unpersist();
    }
    LOG.info("split {} records of {} over {} partitions: {}{}", data.count(), name, w, split,
        chunks == null ? "" : ", in " + chunks.partitions() + " chunks of " + chunks.records() + " records");
    return new LoadedData(blocks, data.shape(), data.count(), data.numClasses(), data.classNames(), data.skipped(),
        split, chunks);
  }

  /** How a {@link PlannedSource} format finds its records: on the driver, from headers and listings. */
  interface Planner {
    PlannedSource.Plan plan(DataOptions options, Configuration hadoop, Broadcast<byte[]> conf);
  }

  /** Loads a format whose records are planned on the driver and decoded by the executors. */
  static LoadedData loadPlanned(SparkSession spark, DataOptions options, DataFormat format, Planner planner) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // The broadcast stays: a lost cached partition is decoded again from the files.
    PlannedSource.Plan plan = planner.plan(options, jsc.hadoopConfiguration(), HadoopFiles.broadcastConf(jsc));
    return runPlanned(jsc, plan, options, format.name());
  }

  /**
   * Decodes a DataFrame's image and label columns (options.imageCol(), options.labelCol()). The
   * image column is Spark's image struct (BGR bytes, converted to RGB), binary (an encoded JPEG,
   * PNG, BMP or GIF), or an ml Vector or array of numbers holding pixel values 0..255 in C, H, W
   * order (whole numbers: data scaled to [0, 1] must be multiplied by 255 first). The label column
   * is numeric and holds class indices. Records keep the DataFrame's order.
   */
  public static LoadedData fromDataFrame(Dataset<Row> df, DataOptions options) {
    return DataFrameSource.load(df, options);
  }

  /** Format from the path: file names first, then the first bytes of a file, then sub-folders (see {@link DataFormat}). */
  static DataFormat detect(String path, Configuration hadoop) {
    Path p = new Path(path);
    FileStatus status;
    if (InputFiles.isGlob(path)) {
      List<FileStatus> found = InputFiles.glob(p, hadoop);
      if (found.isEmpty()) {
        throw new DataException("no file matches " + path + ": check --data");
      }
      status = found.get(0);
    } else {
      status = InputFiles.status(p, hadoop, "data path");
    }
    DataFormat format = status.isDirectory() ? detectDirectory(status.getPath(), hadoop) : detectFile(status, hadoop);
    LOG.info("data format of {}: {} (pass --format to choose it)", path, format);
    return format;
  }

  private static DataFormat detectDirectory(Path dir, Configuration hadoop) {
    List<FileStatus> entries = InputFiles.list(dir, hadoop);
    for (FileStatus s : entries) {
      Optional<DataFormat> byName = s.isFile() ? byName(s.getPath().getName()) : Optional.empty();
      if (byName.isPresent()) {
        return byName.get();
      }
    }
    Optional<DataFormat> folders = DataFormats.all().stream().filter(DataFormat::matchesFolders).findFirst();
    if (folders.isPresent() && entries.stream().anyMatch(FileStatus::isDirectory)) {
      return folders.get();
    }
    throw new DataException("cannot tell the format of directory " + dir + " (no file or sub-folder of a known "
        + "format): pass --format " + DataFormats.names("|"));
  }

  private static DataFormat detectFile(FileStatus status, Configuration hadoop) {
    Optional<DataFormat> byName = byName(status.getPath().getName());
    if (byName.isPresent()) {
      return byName.get();
    }
    byte[] head;
    try (InputStream in = InputFiles.fs(status.getPath(), hadoop).open(status.getPath())) {
      head = in.readNBytes(DataFormat.HEAD_BYTES);
    } catch (IOException e) {
      throw new DataException("cannot read " + status.getPath() + ": " + e.getMessage(), e);
    }
    if (head.length == DataFormat.HEAD_BYTES) {
      for (DataFormat f : DataFormats.all()) {
        if (f.matchesContent(head)) {
          return f;
        }
      }
    }
    throw new DataException("cannot tell the format of " + status.getPath() + ": pass --format "
        + DataFormats.names("|"));
  }

  private static Optional<DataFormat> byName(String fileName) {
    return DataFormats.all().stream().filter(f -> f.matchesName(fileName)).findFirst();
  }

  private static LoadedData runPlanned(JavaSparkContext jsc, PlannedSource.Plan plan, DataOptions options,
      String format) {
    List<ReadSlice> slices = plan.slices();
    JavaRDD<ImageBlock> blocks = decode(jsc, plan.source(), slices, options.path());
    String job = "cnn-spark load " + options.path() + ": decode";
    long[][] stats = partitionStats(blocks, job);
    long planned = 0;
    long kept = 0;
    for (int p = 0; p < slices.size(); p++) {
      planned += slices.get(p).records;
      kept += stats[p][0];
    }
    long skipped = planned - kept;
    if (skipped > 0) {
      // Indices must count kept records only, and the first pass could not know how many
      // records earlier partitions would drop: decode again with the offsets now known.
      blocks.unpersist(false);
      List<ReadSlice> renumbered = new ArrayList<>();
      long next = 0;
      for (int p = 0; p < slices.size(); p++) {
        renumbered.add(slices.get(p).renumbered(next));
        next += stats[p][0];
      }
      blocks = decode(jsc, plan.source(), renumbered, options.path());
      stats = partitionStats(blocks, job + " (again, numbered without the skipped records)");
      LOG.warn("skipped {} bad records of {} in {} (the executor log names them)", skipped, planned, options.path());
    }
    if (kept == 0) {
      blocks.unpersist(false);
      throw new DataException("all " + planned + " records of " + options.path() + " are bad and were skipped: "
          + "the dataset is empty");
    }
    int numClasses = plan.numClasses() > 0 ? plan.numClasses() : maxLabel(stats) + 1;
    LOG.info("loaded {} {} records of {} from {} into {} partitions", kept, format, plan.shape(), options.path(),
        slices.size());
    return new LoadedData(blocks, plan.shape(), kept, numClasses, plan.classNames(), skipped);
  }

  /** The name of the accumulator that counts records decoded (Spark's UI shows it; a rerun task counts again). */
  public static final String DECODED = "cnn-spark records decoded";

  private static JavaRDD<ImageBlock> decode(JavaSparkContext jsc, PlannedSource source, List<ReadSlice> slices,
      String name) {
    LongAccumulator decoded = jsc.sc().longAccumulator(DECODED);
    JavaRDD<ImageBlock> blocks = jsc.parallelize(slices, slices.size()).mapPartitions(it -> {
      List<ImageBlock> out = new ArrayList<>();
      Configuration hadoop = HadoopFiles.conf(source.conf);
      while (it.hasNext()) {
        ReadSlice slice = it.next();
        if (slice.partition != TaskContext.getPartitionId()) {
          throw new IllegalStateException("slice " + slice.partition + " landed in partition "
              + TaskContext.getPartitionId());
        }
        BlockSink sink = new BlockSink(source.target, slice.firstIndex);
        source.read(slice, sink, hadoop);
        List<ImageBlock> read = sink.finish();
        for (ImageBlock block : read) {
          decoded.add(block.count());
        }
        out.addAll(read);
      }
      return out.iterator();
    }, true);
    blocks.setName("cnn-spark data " + name);
    return blocks.persist(LoadedData.STORAGE);
  }

  /** Per partition {records, largest label}; runs the job (named {@code job} in Spark's UI) that fills the cache. */
  static long[][] partitionStats(JavaRDD<ImageBlock> blocks, String job) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(blocks.context());
    List<long[]> rows = JobNames.named(jsc, job, () -> collect(blocks, blocks.mapPartitionsWithIndex((p, it) -> {
      long records = 0;
      long max = -1;
      while (it.hasNext()) {
        ImageBlock b = it.next();
        records += b.count();
        for (int label : b.labels()) {
          max = Math.max(max, label);
        }
      }
      return Collections.singletonList(new long[] {p, records, max}).iterator();
    }, true)));
    long[][] stats = new long[blocks.getNumPartitions()][];
    for (long[] row : rows) {
      stats[(int) row[0]] = Arrays.copyOfRange(row, 1, 3);
    }
    return stats;
  }

  static int maxLabel(long[][] stats) {
    long max = -1;
    for (long[] s : stats) {
      max = Math.max(max, s[1]);
    }
    return (int) max;
  }

  /**
   * Runs a collect, turning a task's DataException back into one (Spark wraps it); on failure the
   * partly filled cache of {@code cached} is dropped.
   */
  static <T> List<T> collect(JavaRDD<?> cached, JavaRDD<T> rdd) {
    try {
      return rdd.collect();
    } catch (Exception e) { // SparkException is checked, but Scala throws it undeclared
      cached.unpersist(false);
      throw SparkErrors.rethrow(e, DataException.class, DataException::new);
    }
  }

  static String firstLine(String text) {
    if (text == null) {
      return "";
    }
    int nl = text.indexOf('\n');
    return nl < 0 ? text : text.substring(0, nl);
  }
}
