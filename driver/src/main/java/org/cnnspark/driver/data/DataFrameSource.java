package org.cnnspark.driver.data;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.cnnspark.driver.spark.JobNames;
import org.cnnspark.engine.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DataFrame (or Parquet table) with an image column and a label column. Its row count per
 * partition is unknown until decoded, so: (1) each DataFrame partition decodes its rows into blocks
 * numbered from 0 and reports its counts (cached, one pass over the rows); (2) the driver turns the
 * counts into global offsets; (3) one shuffle sends every record to the partition the split gives
 * it ({@link Redistribution}), where records are put in index order and packed into full blocks.
 */
final class DataFrameSource implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DataFrameSource.class);

  /** Parquet tables: files named *.parquet or starting with PAR1, and directories holding them; read by Spark. */
  static final DataFormat PARQUET = new DataFormat("parquet") {
    @Override
    public boolean matchesName(String fileName) {
      return fileName.endsWith(".parquet");
    }

    @Override
    public boolean matchesContent(byte[] head) {
      return new String(head, StandardCharsets.US_ASCII).equals("PAR1");
    }

    @Override
    public LoadedData load(SparkSession spark, DataOptions options) {
      Dataset<Row> df;
      try {
        df = spark.read().parquet(options.path());
      } catch (RuntimeException e) {
        throw new DataException("cannot read Parquet table " + options.path() + ": " + Datasets.firstLine(e.getMessage()),
            e);
      }
      return DataFrameSource.load(df, options);
    }
  };

  enum Kind { STRUCT, ENCODED, VECTOR, ARRAY }

  private final Kind kind;
  private final Target target;
  private final boolean hasLabel;
  private final String name;
  private final String imageCol;
  private final int[] structFields;

  private DataFrameSource(Kind kind, Target target, boolean hasLabel, String name, String imageCol,
      int[] structFields) {
    this.kind = kind;
    this.target = target;
    this.hasLabel = hasLabel;
    this.name = name;
    this.imageCol = imageCol;
    this.structFields = structFields;
  }

  static LoadedData load(Dataset<Row> df, DataOptions options) {
    String name = options.path() != null ? options.path() : "the DataFrame";
    StructType schema = df.schema();
    List<String> columns = Arrays.asList(schema.fieldNames());
    if (!columns.contains(options.imageCol())) {
      throw new DataException(name + " has no image column '" + options.imageCol() + "' (its columns: "
          + String.join(", ", columns) + "): name the image column (imageCol, --image-col)");
    }
    boolean hasLabel = columns.contains(options.labelCol());
    if (!hasLabel && !options.labelsOptional()) {
      throw new DataException(name + " has no label column '" + options.labelCol() + "' (its columns: "
          + String.join(", ", columns) + "): name the label column (labelCol, --label-col)");
    }
    if (hasLabel && !(schema.apply(options.labelCol()).dataType() instanceof NumericType)) {
      throw new DataException("label column '" + options.labelCol() + "' of " + name + " has type "
          + schema.apply(options.labelCol()).dataType().simpleString() + ": it must hold numeric class indices "
          + "0, 1, 2, ... (a StringIndexer makes them from names)");
    }
    DataType imageType = schema.apply(options.imageCol()).dataType();
    Kind kind = kind(imageType, options.imageCol(), name);
    int[] structFields = kind == Kind.STRUCT ? structFields((StructType) imageType, options.imageCol(), name) : null;
    Dataset<Row> selected = hasLabel ? df.select(options.imageCol(), options.labelCol()) : df.select(options.imageCol());

    Shape shape = options.inputShape();
    DataFrameSource source;
    if (shape == null) {
      DataFrameSource probe = new DataFrameSource(kind, null, hasLabel, name, options.imageCol(), structFields);
      shape = probe.firstShape(selected);
    }
    source = new DataFrameSource(kind, new Target(shape, options, options.expectedClasses()), hasLabel, name,
        options.imageCol(), structFields);
    return source.run(selected, options);
  }

  /**
   * A decoder of single images for scoring a DataFrame row by row ({@link RowImages}): rows whose
   * column 0 is the image, decoded to {@code shape} (resized when {@code resize}).
   */
  static DataFrameSource forImages(DataType imageType, String imageCol, String name, Shape shape, boolean resize) {
    Kind kind = kind(imageType, imageCol, name);
    int[] fields = kind == Kind.STRUCT ? structFields((StructType) imageType, imageCol, name) : null;
    DataOptions options = DataOptions.of(name, 1).withInputShape(shape, resize).withLabelsOptional(true);
    return new DataFrameSource(kind, new Target(shape, options, 0), false, name, imageCol, fields);
  }

  /** The image in column 0 of r as uint8 C, H, W pixels of the target shape. */
  byte[] image(Row r) throws BadRecordException {
    return kind == Kind.VECTOR || kind == Kind.ARRAY ? pixelValues(r) : target.fit(pixels(r)).data();
  }

  private static Kind kind(DataType type, String column, String name) {
    if (type instanceof StructType) {
      return Kind.STRUCT;
    }
    if (type instanceof BinaryType) {
      return Kind.ENCODED;
    }
    if (type.equals(SQLDataTypes.VectorType())) {
      return Kind.VECTOR;
    }
    if (type instanceof ArrayType a && a.elementType() instanceof NumericType) {
      return Kind.ARRAY;
    }
    throw new DataException("image column '" + column + "' of " + name + " has type " + type.simpleString()
        + ": it must be Spark's image struct, binary (encoded JPEG/PNG), an ml Vector or an array of numbers"
        + (type.typeName().equals("vector") ? " (an old mllib Vector: convert it with MLUtils.convertVectorColumnsToML)" : ""));
  }

  /** Positions of height, width, nChannels, mode (-1 when absent), data in Spark's image struct. */
  private static int[] structFields(StructType struct, String column, String name) {
    List<String> names = Arrays.asList(struct.fieldNames());
    for (String f : List.of("height", "width", "nChannels", "data")) {
      if (!names.contains(f)) {
        throw new DataException("image column '" + column + "' of " + name + " is a struct without the field '" + f
            + "' of Spark's image struct (origin, height, width, nChannels, mode, data)");
      }
    }
    return new int[] {names.indexOf("height"), names.indexOf("width"), names.indexOf("nChannels"),
        names.indexOf("mode"), names.indexOf("data")};
  }

  private Shape firstShape(Dataset<Row> selected) {
    List<Row> first = selected.limit(1).collectAsList();
    if (first.isEmpty()) {
      throw new DataException(name + " has no rows: the dataset is empty");
    }
    Row row = first.get(0);
    try {
      if (kind == Kind.VECTOR || kind == Kind.ARRAY) {
        int n = values(row).length;
        Shape s = squareShape(n);
        if (s == null) {
          throw new DataException("the image column '" + imageCol + "' of " + name + " holds " + n + " values, which "
              + "is not C x S x S for 1 or 3 channels: give the input shape (--input-shape CxHxW)");
        }
        LOG.info("image shape {} from the {} values of the first row of {}", s, n, name);
        return s;
      }
      Pixels p = pixels(row);
      return new Shape(p.c(), p.h(), p.w());
    } catch (BadRecordException e) {
      throw new DataException("cannot take the image shape from the first row of " + name + ": its image " + e.getMessage()
          + "; give the input shape (--input-shape CxHxW)");
    }
  }

  /** 1xSxS or 3xSxS from a value count, or null. (n = S^2 and n = 3 T^2 cannot both hold.) */
  static Shape squareShape(int n) {
    int s = (int) Math.round(Math.sqrt(n));
    if (s > 0 && s * s == n) {
      return new Shape(1, s, s);
    }
    int t = (int) Math.round(Math.sqrt(n / 3.0));
    if (t > 0 && 3 * t * t == n) {
      return new Shape(3, t, t);
    }
    return null;
  }

  private LoadedData run(Dataset<Row> selected, DataOptions options) {
    int w = options.partitions();
    JavaRDD<Object> pieces = selected.javaRDD().mapPartitionsWithIndex(this::decodePartition, true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    List<Object> stats = JobNames.named(JavaSparkContext.fromSparkContext(pieces.context()),
        "cnn-spark load " + name + ": decode", () -> Datasets.collect(pieces, pieces.filter(o -> o instanceof long[])));
    int sources = pieces.getNumPartitions();
    long[] offsets = new long[sources + 1];
    long skipped = 0;
    long max = -1;
    for (Object o : stats) {
      long[] s = (long[]) o;
      offsets[(int) s[0] + 1] = s[1];
      skipped += s[2];
      max = Math.max(max, s[3]);
    }
    for (int p = 0; p < sources; p++) {
      offsets[p + 1] += offsets[p];
    }
    long n = offsets[sources];
    if (n == 0) {
      pieces.unpersist(false);
      throw new DataException(skipped > 0
          ? "all " + skipped + " rows of " + name + " are bad and were skipped: the dataset is empty"
          : name + " has no rows: the dataset is empty");
    }
    // One shuffle puts the decoded rows in the options' split; offsets make their indices global.
    Chunks chunks = options.shuffleBuffer() > 0 ? Chunks.of(n, w, options.shuffleBuffer(), target.imageSize()) : null;
    JavaRDD<ImageBlock> blocks = Redistribution.run(pieces, offsets, n, w, options.split(), options.splitSeed(), chunks,
        target, name);
    long[][] finalStats;
    try {
      finalStats = Datasets.partitionStats(blocks, "cnn-spark load " + name + ": split (" + options.split() + ")");
    } finally {
      pieces.unpersist(false);
    }
    if (skipped > 0) {
      LOG.warn("skipped {} bad rows of {} (the executor log names them)", skipped, name);
    }
    int numClasses = options.expectedClasses() > 0 ? options.expectedClasses() : Datasets.maxLabel(finalStats) + 1;
    LOG.info("loaded {} rows of {} from {} into {} partitions ({})", n, target.shape(), name, w, options.split());
    return new LoadedData(blocks, target.shape(), n, numClasses, options.classNamesOrEmpty(), skipped, options.split(),
        chunks);
  }

  /** One DataFrame partition: its blocks (numbered from 0), then {partition, kept, skipped, max label}. */
  private Iterator<Object> decodePartition(int partition, Iterator<Row> rows) {
    BlockSink sink = new BlockSink(target, 0);
    long row = 0;
    while (rows.hasNext()) {
      Row r = rows.next();
      try {
        int label = hasLabel ? label(r) : target.label(-1);
        if (kind == Kind.VECTOR || kind == Kind.ARRAY) {
          sink.add(pixelValues(r), 0, label);
        } else {
          sink.add(target.fit(pixels(r)), label);
        }
      } catch (BadRecordException e) {
        sink.bad("row " + row + " of partition " + partition + " of " + name + " (column " + imageCol + ")", e);
      }
      row++;
    }
    List<Object> out = new ArrayList<>(sink.finish());
    long max = -1;
    for (Object o : out) {
      for (int l : ((ImageBlock) o).labels()) {
        max = Math.max(max, l);
      }
    }
    out.add(new long[] {partition, row - sink.skipped(), sink.skipped(), max});
    return out.iterator();
  }

  private int label(Row r) throws BadRecordException {
    if (r.isNullAt(1)) {
      if (target.labelsOptional) {
        return -1;
      }
      throw new BadRecordException("has no label (null)");
    }
    double v = ((Number) r.get(1)).doubleValue();
    if (v != Math.rint(v)) {
      throw new BadRecordException("has label " + v + ", not a whole number: labels are class indices 0, 1, 2, ...");
    }
    return target.label((long) v);
  }

  private Pixels pixels(Row r) throws BadRecordException {
    if (r.isNullAt(0)) {
      throw new BadRecordException("is null");
    }
    if (kind == Kind.ENCODED) {
      return Pixels.decode((byte[]) r.get(0));
    }
    Row s = r.getStruct(0);
    int h = s.getInt(structFields[0]);
    int w = s.getInt(structFields[1]);
    int c = s.getInt(structFields[2]);
    int mode = structFields[3] < 0 || s.isNullAt(structFields[3]) ? -2 : s.getInt(structFields[3]);
    if (mode == -1 || h < 0) {
      throw new BadRecordException("is an invalid image (Spark's image source could not decode it)");
    }
    if (mode >= 0 && (mode & 7) != 0) {
      throw new BadRecordException("has OpenCV mode " + mode + "; only 8-bit images (modes 0, 16, 24) are supported");
    }
    return Pixels.fromInterleavedBgr(s.isNullAt(structFields[4]) ? null : (byte[]) s.get(structFields[4]), h, w, c);
  }

  private double[] values(Row r) throws BadRecordException {
    if (r.isNullAt(0)) {
      throw new BadRecordException("is null");
    }
    if (kind == Kind.VECTOR) {
      return ((Vector) r.get(0)).toArray();
    }
    List<Object> list = r.getList(0);
    double[] v = new double[list.size()];
    for (int i = 0; i < v.length; i++) {
      Object o = list.get(i);
      if (o == null) {
        throw new BadRecordException("has a null at position " + i);
      }
      v[i] = o instanceof Byte b ? b & 0xff : ((Number) o).doubleValue();
    }
    return v;
  }

  /** Numbers 0..255 as bytes; they must be whole numbers (within float rounding) and fill the input shape. */
  private byte[] pixelValues(Row r) throws BadRecordException {
    double[] v = values(r);
    if (v.length != target.imageSize()) {
      throw new BadRecordException("holds " + v.length + " values but the input shape " + target.shape() + " needs "
          + target.imageSize() + " (numbers can not be resized: give the matching --input-shape)");
    }
    byte[] out = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      double d = v[i];
      long rounded = Math.round(d);
      if (!(d >= -1e-3 && d <= 255 + 1e-3) || Math.abs(d - rounded) > 1e-3) {
        throw new BadRecordException("has value " + d + " at position " + i + ": pixel values must be whole numbers "
            + "0..255 (multiply data scaled to [0, 1] by 255)");
      }
      out[i] = (byte) rounded;
    }
    return out;
  }
}
