package org.cnnspark.driver;

import static org.junit.jupiter.api.Assumptions.assumeTrue;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.engine.io.Idx;

/** Test support: a local SparkSession with the project's Kryo settings, and Fashion-MNIST subsets. */
public final class LocalSpark {
  public static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

  private LocalSpark() {}

  /** local[threads] with Kryo, registration required, no UI. One per test class. */
  public static SparkSession start(int threads, String name) {
    return start(threads, name, Map.of());
  }

  /** As {@link #start(int, String)}, plus the settings in {@code extra}. */
  public static SparkSession start(int threads, String name, Map<String, String> extra) {
    SparkSession.Builder b = builder(threads, name).config(KryoSettings.apply(new SparkConf(false)));
    extra.forEach(b::config);
    return b.getOrCreate();
  }

  /** local[threads], no UI, Spark's default serializer unless the caller sets one. */
  public static SparkSession.Builder builder(int threads, String name) {
    return SparkSession.builder()
        .master("local[" + threads + "]")
        .appName(name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1");
  }

  public static void assumeFashion() {
    assumeTrue(Files.exists(FASHION.resolve("t10k-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed at " + FASHION + "; install it with: apt-get install -y dataset-fashion-mnist");
  }

  /** The first n Fashion-MNIST test images and labels (skips the test when the dataset is absent). */
  public static Subset fashionTest(int n) throws IOException {
    return fashion("t10k", 0, n);
  }

  /** Images [from, from + n) of the Fashion-MNIST file set {@code prefix} ("train" or "t10k"). */
  public static synchronized Subset fashion(String prefix, int from, int n) throws IOException {
    assumeFashion();
    Idx.Images images = Idx.readImages(FASHION.resolve(prefix + "-images-idx3-ubyte.gz"));
    int[] labels = Idx.readLabels(FASHION.resolve(prefix + "-labels-idx1-ubyte.gz"));
    int size = images.rows() * images.cols();
    return new Subset(Arrays.copyOfRange(images.pixels(), from * size, (from + n) * size),
        Arrays.copyOfRange(labels, from, from + n), n, size);
  }

  /** uint8 images (1x28x28) and labels. */
  public record Subset(byte[] pixels, int[] labels, int count, int imageSize) {}

  /**
   * The subset as W partitions of contiguous records (the first count % W one record longer), one
   * block each, cached: the layout the data loader produces.
   */
  public static JavaRDD<ImageBlock> blocks(SparkSession spark, Subset s, int w) {
    List<ImageBlock> blocks = new ArrayList<>();
    for (int p = 0; p < w; p++) {
      int from = (int) bound(s.count(), w, p);
      int to = (int) bound(s.count(), w, p + 1);
      blocks.add(new ImageBlock(1, 28, 28, from, Arrays.copyOfRange(s.pixels(), from * s.imageSize(), to * s.imageSize()),
          Arrays.copyOfRange(s.labels(), from, to)));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return jsc.parallelize(blocks, w).persist(StorageLevel.MEMORY_ONLY());
  }

  /** Writes {prefix}-images-idx3-ubyte.gz (and the labels sibling when asked) in dir; returns the images file. */
  public static Path writeIdx(Path dir, String prefix, Subset s, boolean labels) throws IOException {
    Files.createDirectories(dir);
    Path images = dir.resolve(prefix + "-images-idx3-ubyte.gz");
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(images)))) {
      out.writeInt(0x803);
      out.writeInt(s.count());
      out.writeInt(28);
      out.writeInt(28);
      out.write(s.pixels());
    }
    if (labels) {
      try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(
          Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte.gz"))))) {
        out.writeInt(0x801);
        out.writeInt(s.count());
        for (int l : s.labels()) {
          out.writeByte(l);
        }
      }
    }
    return images;
  }

  /** The version of the Spark on this JVM's classpath (4.0.1, 4.1.0, ...: the build's profile chose it). */
  public static String sparkVersion() throws IOException {
    try (InputStream in = SparkSession.class.getClassLoader().getResourceAsStream("spark-version-info.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      String v = p.getProperty("version");
      if (v == null) {
        throw new IllegalStateException("spark-version-info.properties is not on the classpath: is spark-common-utils missing?");
      }
      return v;
    }
  }

  /** Start of partition p of W over n records. */
  public static long bound(long n, int w, int p) {
    return n / w * p + Math.min(p, n % w);
  }
}
