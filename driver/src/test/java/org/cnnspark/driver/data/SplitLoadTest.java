package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mixed split on real loads of class-sorted data: image folders (read class by class), an
 * IDX file and a DataFrame sorted by label. Every record's first pixel is its global index
 * (mod 256), so each check also proves that records keep their pixels and labels when moved.
 */
class SplitLoadTest extends SparkDataTest {
  static final int CLASSES = 10;
  static final int PER_CLASS = 20;

  @TempDir
  static Path dir;
  static Path folders;

  /** root/c0 .. root/c9, 20 PNGs of 4x4 each: record g = 20 c + i has first pixel g and the rest c. */
  @BeforeAll
  static void writeFolders() throws IOException {
    folders = dir.resolve("folders");
    for (int c = 0; c < CLASSES; c++) {
      Path folder = Files.createDirectories(folders.resolve("c" + c));
      for (int i = 0; i < PER_CLASS; i++) {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = new byte[16];
        java.util.Arrays.fill(px, (byte) c);
        px[0] = (byte) (c * PER_CLASS + i);
        img.getRaster().setDataElements(0, 0, 4, 4, px);
        ImageIO.write(img, "png", folder.resolve(String.format("img_%02d.png", i)).toFile());
      }
    }
  }

  /** One record as a partition holds it. */
  record Rec(long index, int label, int pixel0) {}

  static List<List<Rec>> partitions(LoadedData data) {
    int w = data.partitions();
    List<ImageBlock>[] parts = data.blocks().collectPartitions(range(w));
    List<List<Rec>> out = new ArrayList<>();
    for (int p = 0; p < w; p++) {
      List<Rec> recs = new ArrayList<>();
      for (ImageBlock b : parts[p]) {
        for (int i = 0; i < b.count(); i++) {
          recs.add(new Rec(b.index(i), b.labels()[i], b.pixels()[i * b.imageSize()] & 0xff));
        }
      }
      out.add(recs);
    }
    return out;
  }

  /**
   * The mixed split's promises: W partitions, cached, records in increasing index order, every
   * index once with its own pixels and label, the contiguous split's sizes, and every class in
   * every partition within 2 records of its share.
   */
  static List<List<Rec>> checkMixed(LoadedData data, int w, int[] pixel0, int[] label) {
    assertEquals(DataSplit.MIXED, data.split());
    assertEquals(w, data.partitions());
    assertEquals(LoadedData.STORAGE, data.blocks().getStorageLevel());
    int n = (int) data.count();
    assertEquals(label.length, n);
    List<List<Rec>> parts = partitions(data);
    long[] bounds = ReadSlice.bounds(n, w);
    boolean[] seen = new boolean[n];
    int[] classTotal = new int[CLASSES];
    for (int l : label) {
      classTotal[l]++;
    }
    for (int p = 0; p < w; p++) {
      List<Rec> recs = parts.get(p);
      assertEquals(bounds[p + 1] - bounds[p], recs.size(), "partition " + p + " size");
      int[] classes = new int[CLASSES];
      long last = -1;
      for (Rec r : recs) {
        assertTrue(r.index() > last, "partition " + p + ": indices increase, " + r.index() + " after " + last);
        last = r.index();
        int g = (int) r.index();
        assertTrue(!seen[g], "record " + g + " twice");
        seen[g] = true;
        assertEquals(pixel0[g], r.pixel0(), "record " + g + " keeps its pixels");
        assertEquals(label[g], r.label(), "record " + g + " keeps its label");
        classes[r.label()]++;
      }
      for (int c = 0; c < CLASSES; c++) {
        if (classTotal[c] >= w) {
          assertTrue(classes[c] > 0, "partition " + p + " lacks class " + c);
        }
        assertTrue(Math.abs(classes[c] - classTotal[c] / (double) w) <= 2, "partition " + p + " class " + c + ": "
            + classes[c] + " of " + classTotal[c]);
      }
    }
    for (int g = 0; g < n; g++) {
      assertTrue(seen[g], "record " + g + " missing");
    }
    return parts;
  }

  static DataOptions folderOptions(int w) {
    return DataOptions.of(folders.toString(), w);
  }

  static int[] folderPixel0() {
    int[] p = new int[CLASSES * PER_CLASS];
    for (int g = 0; g < p.length; g++) {
      p[g] = g;
    }
    return p;
  }

  static int[] folderLabels() {
    int[] l = new int[CLASSES * PER_CLASS];
    for (int g = 0; g < l.length; g++) {
      l[g] = g / PER_CLASS;
    }
    return l;
  }

  @Test
  void imageFoldersMixedOverTwoAndFourPartitionsGiveEveryPartitionEveryClass() {
    for (int w : new int[] {2, 4}) {
      LoadedData data = load(folderOptions(w).withSplit(DataSplit.MIXED, 11));
      assertEquals(List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"), data.classNames());
      checkMixed(data, w, folderPixel0(), folderLabels());
      data.unpersist();
    }
  }

  /** Class-sorted IDX records of 4x4 whose first pixel is their index. */
  static Path sortedIdx(String prefix, int[] labels) throws IOException {
    int n = labels.length;
    byte[] pixels = new byte[n * 16];
    for (int g = 0; g < n; g++) {
      pixels[g * 16] = (byte) g;
    }
    Path images = dir.resolve(prefix + "-images-idx3-ubyte");
    writeIdxImages(images, pixels, n, 4, 4, false);
    writeIdxLabels(dir.resolve(prefix + "-labels-idx1-ubyte"), labels, n, false);
    return images;
  }

  static int[] sortedLabels(int n) {
    int[] labels = new int[n];
    for (int g = 0; g < n; g++) {
      labels[g] = g * CLASSES / n;
    }
    return labels;
  }

  @Test
  void oneWorkerMixedIsExactlyTheContiguousData() throws IOException {
    Path images = sortedIdx("one", sortedLabels(103));
    LoadedData mixed = load(DataOptions.of(images.toString(), 1).withSplit(DataSplit.MIXED, 11));
    LoadedData contiguous = load(DataOptions.of(images.toString(), 1));
    assertEquals(DataSplit.MIXED, mixed.split());
    Flat a = checkLayout(mixed, 1);
    Flat b = checkLayout(contiguous, 1);
    assertArrayEquals(b.labels(), a.labels());
    assertArrayEquals(b.pixels(), a.pixels());
    assertTrue(mixed.blocks().collect().stream().allMatch(ImageBlock::contiguous));
    mixed.unpersist();
    contiguous.unpersist();
  }

  @Test
  void theSameSeedGivesTheSamePartitionsAndAnotherSeedOthers() throws IOException {
    Path images = sortedIdx("seeds", sortedLabels(103));
    LoadedData a = load(DataOptions.of(images.toString(), 4).withSplit(DataSplit.MIXED, 11));
    LoadedData b = load(DataOptions.of(images.toString(), 4).withSplit(DataSplit.MIXED, 11));
    LoadedData c = load(DataOptions.of(images.toString(), 4).withSplit(DataSplit.MIXED, 12));
    assertEquals(partitions(a), partitions(b));
    assertNotEquals(partitions(a), partitions(c));
    a.unpersist();
    b.unpersist();
    c.unpersist();
  }

  /**
   * 103 class-sorted IDX records (a last group of 3 for W = 4); with three bad labels skipped,
   * the contiguous partitions are unbalanced (25, 24, 26, 25) and mixing balances them.
   */
  @Test
  void idxMixedIncludingSkippedRecords() throws IOException {
    int n = 103;
    int[] labels = sortedLabels(n);
    Path images = sortedIdx("sorted", labels);
    LoadedData data = load(DataOptions.of(images.toString(), 4).withSplit(DataSplit.MIXED, 5));
    checkMixed(data, 4, java.util.stream.IntStream.range(0, n).toArray(), labels);
    data.unpersist();

    int[] bad = labels.clone();
    List<Integer> kept = new ArrayList<>();
    for (int g = 0; g < n; g++) {
      if (g == 5 || g == 50 || g == 51) {
        bad[g] = 12;
      } else {
        kept.add(g);
      }
    }
    Path badImages = sortedIdx("bad", bad);
    LoadedData skipped = load(DataOptions.of(badImages.toString(), 4).withSkipBadRecords(true).withNumClasses(CLASSES)
        .withSplit(DataSplit.MIXED, 5));
    assertEquals(3, skipped.skipped());
    checkMixed(skipped, 4, kept.stream().mapToInt(Integer::intValue).toArray(),
        kept.stream().mapToInt(g -> labels[g]).toArray());
    skipped.unpersist();
  }

  /** 90 rows sorted by label in 3 DataFrame partitions, mixed in the one shuffle that balances them. */
  @Test
  void dataFrameMixed() {
    int n = 90;
    List<Row> rows = new ArrayList<>();
    int[] labels = new int[n];
    int[] pixel0 = new int[n];
    for (int g = 0; g < n; g++) {
      List<Integer> px = new ArrayList<>(java.util.Collections.nCopies(16, 1));
      px.set(0, g);
      labels[g] = g * CLASSES / n;
      pixel0[g] = g;
      rows.add(RowFactory.create((double) labels[g], px));
    }
    StructType schema = new StructType().add("label", DataTypes.DoubleType)
        .add("image", DataTypes.createArrayType(DataTypes.IntegerType));
    Dataset<Row> df = spark.createDataFrame(rows, schema).coalesce(3);
    LoadedData data = Datasets.fromDataFrame(df, DataOptions.of(null, 4).withSplit(DataSplit.MIXED, 5));
    checkMixed(data, 4, pixel0, labels);
    data.unpersist();
  }
}
