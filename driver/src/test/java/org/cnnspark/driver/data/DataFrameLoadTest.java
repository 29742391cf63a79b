package org.cnnspark.driver.data;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.Idx;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DataFrames and Parquet tables built here from Fashion-MNIST test images. */
@Tag("compat")
class DataFrameLoadTest extends SparkDataTest {
  @TempDir
  Path dir;
  Idx.Images images;
  int[] labels;

  @BeforeEach
  void readFashion() throws IOException {
    images = fashionImages();
    labels = fashionLabels();
  }

  private byte[] source(int i) {
    return Arrays.copyOfRange(images.pixels(), i * 784, (i + 1) * 784);
  }

  private byte[] png(int i) throws IOException {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, 28, 28, source(i));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private double[] values(int i) {
    double[] v = new double[784];
    for (int p = 0; p < 784; p++) {
      v[p] = images.pixels()[i * 784 + p] & 0xff;
    }
    return v;
  }

  /** The rows in order over several partitions (rows travel in the closure, not through Kryo). */
  private Dataset<Row> frame(List<Row> rows, int sourcePartitions, DataType imageType, DataType labelType) {
    StructType schema = new StructType().add("image", imageType).add("label", labelType);
    List<Row> copy = new ArrayList<>(rows);
    return spark.range(0, rows.size(), 1, sourcePartitions)
        .map((MapFunction<Long, Row>) i -> copy.get((int) (long) i), Encoders.row(schema));
  }

  private Dataset<Row> vectorFrame(int n, int sourcePartitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create(Vectors.dense(values(i)), (double) labels[i]));
    }
    return frame(rows, sourcePartitions, SQLDataTypes.VectorType(), DataTypes.DoubleType);
  }

  /** Records 0..n-1 of Fashion-MNIST, in order, except those in {@code missing}. */
  private void assertFashion(Flat flat, int n, int... missing) {
    int k = 0;
    for (int i = 0; i < n; i++) {
      int index = i;
      if (Arrays.stream(missing).anyMatch(m -> m == index)) {
        continue;
      }
      assertEquals(labels[i], flat.labels()[k], "label of record " + k);
      assertArrayEquals(source(i), Arrays.copyOfRange(flat.pixels(), k * 784, (k + 1) * 784), "pixels of " + k);
      k++;
    }
    assertEquals(k, flat.labels().length);
  }

  @Test
  void parquetTableOfPngBytes() throws IOException {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      rows.add(RowFactory.create(png(i), labels[i]));
    }
    String table = dir.resolve("table").toString();
    // One file keeps the rows in order (Spark reads several files largest first).
    frame(rows, 3, DataTypes.BinaryType, DataTypes.IntegerType).coalesce(1).write().parquet(table);
    LoadedData data = load(DataOptions.of(table, 3));
    assertEquals(50, data.count());
    assertEquals(new Shape(1, 28, 28), data.shape());
    assertEquals(10, data.numClasses());
    assertFashion(checkLayout(data, 3), 50);
    fails(() -> load(DataOptions.of(table, 3).withColumns("pixels", null)), "no image column 'pixels'",
        "image, label");
    String vectors = dir.resolve("vectors").toString();
    vectorFrame(30, 2).write().parquet(vectors);
    LoadedData fromVectors = load(DataOptions.of(vectors, 2).withFormat("parquet"));
    assertEquals(30, fromVectors.count());
    checkLayout(fromVectors, 2);
  }

  @Test
  void vectorsFromFivePartitionsRebalancedIntoThree() {
    LoadedData data = Datasets.fromDataFrame(vectorFrame(203, 5), DataOptions.of(null, 3));
    assertEquals(203, data.count());
    assertEquals(new Shape(1, 28, 28), data.shape());
    assertFashion(checkLayout(data, 3), 203);
    LoadedData one = Datasets.fromDataFrame(vectorFrame(203, 5), DataOptions.of(null, 1));
    assertFashion(checkLayout(one, 1), 203);
  }

  @Test
  void arraysWithMoreWorkersThanRows() {
    Dataset<Row> df = vectorFrame(4, 2).select(vector_to_array(col("image"), "float64").cast("array<int>").as("image"),
        col("label").cast("long").as("label"));
    LoadedData data = Datasets.fromDataFrame(df, DataOptions.of(null, 7).withInputShape(new Shape(1, 28, 28), false));
    assertEquals(4, data.count());
    assertFashion(checkLayout(data, 7), 4);
    long images = data.blocks().map(ImageBlock::count).reduce(Integer::sum);
    assertEquals(4, images);
  }

  @Test
  void sparkImageStructIsBgr() {
    // A 2x3 RGB image: pixel (y, x) = (R, G, B) = (10y + x, 100 + x, 200 + y)
    int h = 2;
    int w = 3;
    byte[] bgr = new byte[h * w * 3];
    byte[] expected = new byte[3 * h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int at = (y * w + x) * 3;
        bgr[at] = (byte) (200 + y);
        bgr[at + 1] = (byte) (100 + x);
        bgr[at + 2] = (byte) (10 * y + x);
        expected[y * w + x] = (byte) (10 * y + x);
        expected[h * w + y * w + x] = (byte) (100 + x);
        expected[2 * h * w + y * w + x] = (byte) (200 + y);
      }
    }
    Row image = RowFactory.create("mem://a", h, w, 3, 16, bgr);
    Dataset<Row> df = frame(List.of(RowFactory.create(image, 1)), 1, ImageSchema.columnSchema(), DataTypes.IntegerType);
    LoadedData data = Datasets.fromDataFrame(df, DataOptions.of(null, 2));
    assertEquals(new Shape(3, 2, 3), data.shape());
    Flat flat = checkLayout(data, 2);
    assertArrayEquals(expected, flat.pixels());
    assertArrayEquals(new int[] {1}, flat.labels());
  }

  @Test
  void sparkImageSourceOnPngFiles() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("pngs"));
    for (int i = 0; i < 12; i++) {
      Files.write(folder.resolve(i + ".png"), png(i));
    }
    Dataset<Row> df = spark.read().format("image").load(folder.toString());
    LoadedData data = Datasets.fromDataFrame(df, DataOptions.of(folder.toString(), 2).withLabelsOptional(true));
    assertEquals(12, data.count());
    assertEquals(new Shape(1, 28, 28), data.shape());
    Flat flat = checkLayout(data, 2);
    assertEquals(0, data.numClasses());
    // The image source orders rows by file size: compare as sets of images.
    List<byte[]> got = new ArrayList<>();
    List<byte[]> want = new ArrayList<>();
    for (int k = 0; k < 12; k++) {
      got.add(Arrays.copyOfRange(flat.pixels(), k * 784, (k + 1) * 784));
      want.add(source(k));
      assertEquals(-1, flat.labels()[k]);
    }
    Comparator<byte[]> bytes = Arrays::compare;
    got.sort(bytes);
    want.sort(bytes);
    for (int k = 0; k < 12; k++) {
      assertArrayEquals(want.get(k), got.get(k));
    }
  }

  @Test
  void badRowsFailOrAreSkipped() {
    int n = 20;
    IntFunction<Row> good = i -> RowFactory.create(Vectors.dense(values(i)), (double) labels[i]);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(good.apply(i));
    }
    double[] tooBright = values(3);
    tooBright[5] = 300;
    rows.set(3, RowFactory.create(Vectors.dense(tooBright), (double) labels[3]));
    double[] scaled = values(8);
    for (int p = 0; p < scaled.length; p++) {
      scaled[p] /= 255;
    }
    rows.set(8, RowFactory.create(Vectors.dense(scaled), (double) labels[8]));
    rows.set(11, RowFactory.create(Vectors.dense(values(11)), 2.5));
    rows.set(12, RowFactory.create(Vectors.dense(values(12)), -1.0));
    rows.set(15, RowFactory.create(null, 1.0));
    rows.set(17, RowFactory.create(Vectors.dense(Arrays.copyOf(values(17), 700)), 1.0));
    rows.set(18, RowFactory.create(Vectors.dense(values(18)), null));
    DataType vector = SQLDataTypes.VectorType();
    DataOptions options = DataOptions.of(null, 3).withInputShape(new Shape(1, 28, 28), false);
    String[][] problems = {
        {"3", "has value 300.0 at position 5", "whole numbers 0..255"},
        {"8", "multiply data scaled to [0, 1] by 255"},
        {"11", "has label 2.5, not a whole number"},
        {"12", "has label -1, outside [0, 65536)"},
        {"15", "is null"},
        {"17", "holds 700 values but the input shape 1x28x28 needs 784"},
        {"18", "has no label (null)"}};
    for (String[] p : problems) {
      int bad = Integer.parseInt(p[0]);
      List<Row> one = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        one.add(i == bad ? rows.get(i) : good.apply(i));
      }
      // one source partition: the row number in the message is the row's index
      String[] fragments = Arrays.copyOf(p, p.length + 1);
      fragments[0] = "row " + bad + " of partition 0 of the DataFrame (column image)";
      fragments[p.length] = "--skip-bad-records";
      fails(() -> Datasets.fromDataFrame(frame(one, 1, vector, DataTypes.DoubleType), options), fragments);
    }
    LoadedData data = Datasets.fromDataFrame(frame(rows, 4, vector, DataTypes.DoubleType),
        options.withSkipBadRecords(true));
    assertEquals(7, data.skipped());
    assertEquals(n - 7, data.count());
    assertFashion(checkLayout(data, 3), n, 3, 8, 11, 12, 15, 17, 18);
  }

  @Test
  void badSchemasAndEmptyFrames() {
    Dataset<Row> df = vectorFrame(3, 1);
    fails(() -> Datasets.fromDataFrame(df, DataOptions.of(null, 2).withColumns("image", "class")),
        "no label column 'class'", "image, label");
    fails(() -> Datasets.fromDataFrame(df.selectExpr("image", "cast(label as string) as label"),
        DataOptions.of(null, 2)), "label column 'label'", "has type string", "StringIndexer");
    fails(() -> Datasets.fromDataFrame(df.selectExpr("label as image", "label"), DataOptions.of(null, 2)),
        "image column 'image'", "has type double");
    fails(() -> Datasets.fromDataFrame(df.limit(0), DataOptions.of("my table", 2)), "my table has no rows", "empty");
    fails(() -> Datasets.fromDataFrame(df.limit(0), DataOptions.of(null, 2).withInputShape(new Shape(1, 28, 28), false)),
        "has no rows");
    List<String> ten = ImageFolderLoadTest.NAMES;
    LoadedData named = Datasets.fromDataFrame(vectorFrame(20, 2), DataOptions.of(null, 2).withClassNames(ten));
    assertEquals(ten, named.classNames());
    assertEquals(10, named.numClasses());
    fails(() -> Datasets.fromDataFrame(vectorFrame(20, 2), DataOptions.of(null, 2).withClassNames(List.of("a", "b"))),
        "outside [0, 2) (2 classes)");
    List<Row> odd = List.of(RowFactory.create(Vectors.dense(new double[10]), 1.0));
    fails(() -> Datasets.fromDataFrame(frame(odd, 1, SQLDataTypes.VectorType(), DataTypes.DoubleType),
        DataOptions.of(null, 2)), "holds 10 values", "--input-shape");
  }
}
