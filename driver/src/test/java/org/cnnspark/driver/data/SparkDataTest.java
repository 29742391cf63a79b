package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.engine.io.Idx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.function.Executable;

/** One local[2] SparkSession per test class, with the project's Kryo settings, and layout checks. */
abstract class SparkDataTest {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = LocalSpark.start(2, "cnn-spark data tests");
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
    spark = null;
  }

  static void assumeFashion() {
    assumeTrue(Files.exists(FASHION.resolve("t10k-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed at " + FASHION + "; install it with: apt-get install -y dataset-fashion-mnist");
  }

  private static Idx.Images fashionImages;
  private static int[] fashionLabels;

  /** The Fashion-MNIST test images, read by the engine's own IDX reader (an independent oracle). */
  static synchronized Idx.Images fashionImages() throws IOException {
    assumeFashion();
    if (fashionImages == null) {
      fashionImages = Idx.readImages(FASHION.resolve("t10k-images-idx3-ubyte.gz"));
    }
    return fashionImages;
  }

  static synchronized int[] fashionLabels() throws IOException {
    assumeFashion();
    if (fashionLabels == null) {
      fashionLabels = Idx.readLabels(FASHION.resolve("t10k-labels-idx1-ubyte.gz"));
    }
    return fashionLabels;
  }

  /** All records of a load in global order, after checking the partition contract. */
  record Flat(byte[] pixels, int[] labels) {}

  /**
   * Checks W partitions, LoadedData.STORAGE, blocks in index order with no gap from 0 to count - 1, and
   * (without skipped records) the balanced split of {@link ReadSlice#bounds}.
   */
  static Flat checkLayout(LoadedData data, int w) {
    assertEquals(w, data.blocks().getNumPartitions());
    assertEquals(LoadedData.STORAGE, data.blocks().getStorageLevel());
    int size = data.shape().size();
    List<ImageBlock>[] parts = data.blocks().collectPartitions(range(w));
    long[] bounds = ReadSlice.bounds(data.count(), w);
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    List<Integer> labels = new ArrayList<>();
    // With skipped records a partition holds what its slice kept: contiguous, but not balanced.
    boolean balanced = data.skipped() == 0;
    long next = 0;
    for (int p = 0; p < w; p++) {
      if (balanced) {
        assertEquals(bounds[p], next, "partition " + p + " must start at its balanced bound");
      }
      for (ImageBlock b : parts[p]) {
        assertEquals(next, b.firstIndex(), "partition " + p + ": blocks must be contiguous and in order");
        assertTrue(b.count() > 0 && b.count() <= Target.BLOCK_RECORDS, "block size " + b.count());
        assertEquals(data.shape().c(), b.channels());
        assertEquals(data.shape().h(), b.height());
        assertEquals(data.shape().w(), b.width());
        assertEquals((long) b.count() * size, b.pixels().length);
        pixels.write(b.pixels(), 0, b.pixels().length);
        for (int l : b.labels()) {
          labels.add(l);
        }
        next += b.count();
      }
    }
    assertEquals(data.count(), next);
    assertEquals(data.count(), labels.size());
    return new Flat(pixels.toByteArray(), labels.stream().mapToInt(Integer::intValue).toArray());
  }

  static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    return r;
  }

  /** Loads and expects a DataException whose message contains every fragment. */
  static DataException fails(Executable load, String... fragments) {
    DataException e = assertThrows(DataException.class, load);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message lacks '" + f + "': " + e.getMessage());
    }
    return e;
  }

  static LoadedData load(DataOptions options) {
    return Datasets.load(spark, options);
  }

  static void writeIdxImages(Path file, byte[] pixels, int n, int rows, int cols, boolean gzip) throws IOException {
    try (DataOutputStream out = new DataOutputStream(open(file, gzip))) {
      out.writeInt(0x00000803);
      out.writeInt(n);
      out.writeInt(rows);
      out.writeInt(cols);
      out.write(pixels, 0, n * rows * cols);
    }
  }

  static void writeIdxLabels(Path file, int[] labels, int n, boolean gzip) throws IOException {
    try (DataOutputStream out = new DataOutputStream(open(file, gzip))) {
      out.writeInt(0x00000801);
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeByte(labels[i]);
      }
    }
  }

  private static OutputStream open(Path file, boolean gzip) throws IOException {
    OutputStream out = Files.newOutputStream(file);
    return gzip ? new GZIPOutputStream(out) : out;
  }
}
