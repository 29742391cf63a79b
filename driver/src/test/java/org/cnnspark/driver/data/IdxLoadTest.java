package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.Idx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxLoadTest extends SparkDataTest {
  @TempDir
  Path dir;

  @Test
  void realFashionMnistTestSetInThreePartitions() throws IOException {
    Idx.Images images = fashionImages();
    int[] labels = fashionLabels();
    LoadedData data = load(DataOptions.of(FASHION.resolve("t10k-images-idx3-ubyte.gz").toString(), 3));
    assertEquals(10_000, data.count());
    assertEquals(new Shape(1, 28, 28), data.shape());
    assertEquals(10, data.numClasses());
    assertEquals(List.of(), data.classNames());
    assertEquals(0, data.skipped());
    Flat flat = checkLayout(data, 3);
    assertArrayEquals(images.pixels(), flat.pixels());
    assertArrayEquals(labels, flat.labels());
    data.unpersist();
  }

  /** A raw (not gzip) subset: each partition seeks to its records. */
  @Test
  void rawSubsetWithSiblingLabels() throws IOException {
    Idx.Images images = fashionImages();
    int[] labels = fashionLabels();
    int n = 1001;
    Path imageFile = dir.resolve("sub-images-idx3-ubyte");
    writeIdxImages(imageFile, images.pixels(), n, 28, 28, false);
    writeIdxLabels(dir.resolve("sub-labels-idx1-ubyte"), labels, n, false);
    LoadedData data = load(DataOptions.of(imageFile.toString(), 4));
    assertEquals(n, data.count());
    Flat flat = checkLayout(data, 4);
    assertArrayEquals(Arrays.copyOf(images.pixels(), n * 784), flat.pixels());
    assertArrayEquals(Arrays.copyOf(labels, n), flat.labels());
  }

  @Test
  void labelsGivenByPathAndFormatGiven() throws IOException {
    Idx.Images images = fashionImages();
    int[] labels = fashionLabels();
    Path imageFile = dir.resolve("pictures.idx");
    Path labelFile = dir.resolve("classes.idx.gz");
    writeIdxImages(imageFile, images.pixels(), 50, 28, 28, true);
    writeIdxLabels(labelFile, labels, 50, true);
    LoadedData data = load(DataOptions.of(imageFile.toString(), 2).withFormat("idx")
        .withLabelsPath(labelFile.toString()));
    assertArrayEquals(Arrays.copyOf(labels, 50), checkLayout(data, 2).labels());
    fails(() -> load(DataOptions.of(imageFile.toString(), 2).withFormat("idx")),
        "cannot tell the labels file", "--labels");
  }

  @Test
  void moreWorkersThanRecordsGivesEmptyTrailingPartitions() throws IOException {
    Idx.Images images = fashionImages();
    int[] labels = fashionLabels();
    Path imageFile = writeSubset(5, labels);
    LoadedData data = load(DataOptions.of(imageFile.toString(), 8));
    assertEquals(5, data.count());
    Flat flat = checkLayout(data, 8);
    assertArrayEquals(Arrays.copyOf(images.pixels(), 5 * 784), flat.pixels());
    long[] perPartition = data.blocks().mapPartitions(it -> {
      long n = 0;
      while (it.hasNext()) {
        n += it.next().count();
      }
      return List.of(n).iterator();
    }).collect().stream().mapToLong(Long::longValue).toArray();
    assertArrayEquals(new long[] {1, 1, 1, 1, 1, 0, 0, 0}, perPartition);
  }

  @Test
  void resizeOnlyWhenAsked() throws IOException {
    fashionImages();
    Path imageFile = writeSubset(20, fashionLabels());
    fails(() -> load(DataOptions.of(imageFile.toString(), 2).withInputShape(new Shape(1, 32, 32), false)),
        imageFile.toString(), "1x28x28", "1x32x32", "--resize");
    LoadedData bigger = load(DataOptions.of(imageFile.toString(), 2).withInputShape(new Shape(1, 32, 32), true));
    assertEquals(new Shape(1, 32, 32), bigger.shape());
    assertEquals(20 * 1024, checkLayout(bigger, 2).pixels().length);
    LoadedData rgb = load(DataOptions.of(imageFile.toString(), 2).withInputShape(new Shape(3, 28, 28), true));
    byte[] p = checkLayout(rgb, 2).pixels();
    byte[] original = Arrays.copyOf(fashionImages().pixels(), 784);
    for (int k = 0; k < 3; k++) {
      assertArrayEquals(original, Arrays.copyOfRange(p, k * 784, (k + 1) * 784), "gray copied to channel " + k);
    }
  }

  @Test
  void labelsOutsideTheClassesFailOrAreSkipped() throws IOException {
    Idx.Images images = fashionImages();
    int[] labels = fashionLabels();
    Path imageFile = writeSubset(300, labels);
    long bad = Arrays.stream(labels, 0, 300).filter(l -> l >= 5).count();
    DataException e = fails(() -> load(DataOptions.of(imageFile.toString(), 3).withNumClasses(5)),
        " of IDX labels file ", "sub-labels-idx1-ubyte", "outside [0, 5)", "--skip-bad-records");
    // Whichever partition fails first names its record: check that it is one of the bad ones.
    Matcher m = Pattern.compile("record (\\d+) .* has label (\\d+)")
        .matcher(e.getMessage());
    assertTrue(m.find(), e.getMessage());
    assertEquals(labels[Integer.parseInt(m.group(1))], Integer.parseInt(m.group(2)));
    assertTrue(Integer.parseInt(m.group(2)) >= 5);
    LoadedData data = load(DataOptions.of(imageFile.toString(), 3).withNumClasses(5).withSkipBadRecords(true));
    assertEquals(bad, data.skipped());
    assertEquals(300 - bad, data.count());
    assertEquals(5, data.numClasses());
    Flat flat = checkLayout(data, 3);
    int k = 0;
    for (int i = 0; i < 300; i++) {
      if (labels[i] < 5) {
        assertEquals(labels[i], flat.labels()[k]);
        assertArrayEquals(Arrays.copyOfRange(images.pixels(), i * 784, (i + 1) * 784),
            Arrays.copyOfRange(flat.pixels(), k * 784, (k + 1) * 784));
        k++;
      }
    }
  }

  @Test
  void truncatedRawFile() throws IOException {
    Path imageFile = writeSubset(30, fashionLabels());
    byte[] all = Files.readAllBytes(imageFile);
    Files.write(imageFile, Arrays.copyOf(all, all.length - 100));
    fails(() -> load(DataOptions.of(imageFile.toString(), 2)), imageFile.toString(), "is truncated",
        "declares 30 images", "download it again");
  }

  @Test
  void truncatedGzipFileIsFoundByTheExecutors() throws IOException {
    Path imageFile = writeGzipSubset("cut", 400);
    byte[] all = Files.readAllBytes(imageFile);
    Files.write(imageFile, Arrays.copyOf(all, all.length / 2));
    fails(() -> load(DataOptions.of(imageFile.toString(), 2)), imageFile.toString(), "is truncated",
        "download it again");
  }

  @Test
  void corruptGzipData() throws IOException {
    Path imageFile = writeGzipSubset("bad", 400);
    byte[] all = Files.readAllBytes(imageFile);
    for (int i = all.length / 3; i < all.length / 3 + 64; i++) {
      all[i] = (byte) (all[i] ^ 0x5a);
    }
    Files.write(imageFile, all);
    DataException e = fails(() -> load(DataOptions.of(imageFile.toString(), 2)), "bad-images-idx3-ubyte.gz",
        "download it again");
    assertTrue(e.getMessage().contains("damaged gzip") || e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void wrongMagicNumbers() throws IOException {
    Path imageFile = writeSubset(10, fashionLabels());
    Path labelFile = dir.resolve("sub-labels-idx1-ubyte");
    fails(() -> load(DataOptions.of(labelFile.toString(), 2).withFormat("idx")), labelFile.toString(),
        "0x00000801", "it is a labels file");
    fails(() -> load(DataOptions.of(imageFile.toString(), 2).withLabelsPath(imageFile.toString())),
        "it is an images file, not labels");
    Path junk = dir.resolve("junk-images-idx3-ubyte");
    Files.write(junk, "this is not an IDX file at all, just text".getBytes());
    fails(() -> load(DataOptions.of(junk.toString(), 2)), junk.toString(), "is not an IDX file");
    Path floats = dir.resolve("float-images-idx3-ubyte");
    Files.write(floats, new byte[] {0, 0, 0x0d, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0});
    fails(() -> load(DataOptions.of(floats.toString(), 2)), "element type 0x0d", "only unsigned bytes");
    Path empty = dir.resolve("empty-images-idx3-ubyte");
    Files.write(empty, new byte[0]);
    fails(() -> load(DataOptions.of(empty.toString(), 2)), empty.toString(), "too short to hold an IDX header");
  }

  @Test
  void labelFileThatDoesNotMatch() throws IOException {
    Path imageFile = writeSubset(10, fashionLabels());
    writeIdxLabels(dir.resolve("sub-labels-idx1-ubyte"), fashionLabels(), 9, false);
    fails(() -> load(DataOptions.of(imageFile.toString(), 2)), "holds 9 labels", "holds 10 images");
    Files.delete(dir.resolve("sub-labels-idx1-ubyte"));
    fails(() -> load(DataOptions.of(imageFile.toString(), 2)), "sub-labels-idx1-ubyte", "does not exist",
        "--labels");
    LoadedData unlabelled = load(DataOptions.of(imageFile.toString(), 2).withLabelsOptional(true));
    assertTrue(Arrays.stream(checkLayout(unlabelled, 2).labels()).allMatch(l -> l == -1));
    assertEquals(0, unlabelled.numClasses());
  }

  @Test
  void emptyDataset() throws IOException {
    Path imageFile = dir.resolve("none-images-idx3-ubyte");
    writeIdxImages(imageFile, new byte[0], 0, 28, 28, false);
    writeIdxLabels(dir.resolve("none-labels-idx1-ubyte"), new int[0], 0, false);
    fails(() -> load(DataOptions.of(imageFile.toString(), 2)), imageFile.toString(), "holds no images", "empty");
    fails(() -> load(DataOptions.of(dir.resolve("missing-images-idx3-ubyte").toString(), 2)), "missing-images-idx3-ubyte",
        "does not exist");
  }

  private Path writeGzipSubset(String prefix, int n) throws IOException {
    Path imageFile = dir.resolve(prefix + "-images-idx3-ubyte.gz");
    writeIdxImages(imageFile, fashionImages().pixels(), n, 28, 28, true);
    writeIdxLabels(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), fashionLabels(), n, true);
    return imageFile;
  }

  private Path writeSubset(int n, int[] labels) throws IOException {
    Path imageFile = dir.resolve("sub-images-idx3-ubyte");
    writeIdxImages(imageFile, fashionImages().pixels(), n, 28, 28, false);
    writeIdxLabels(dir.resolve("sub-labels-idx1-ubyte"), labels, n, false);
    return imageFile;
  }
}
