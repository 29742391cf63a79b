package org.cnnspark.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.cnnspark.engine.Shape;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

  /** An image file of n images of rows x cols whose pixel i is (i * 7) mod 256. */
  static byte[] images(int n, int rows, int cols) {
    ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols).putInt(0x803).putInt(n).putInt(rows).putInt(cols);
    for (int i = 0; i < n * rows * cols; i++) {
      b.put((byte) (i * 7));
    }
    return b.array();
  }

  static byte[] labels(int... values) {
    ByteBuffer b = ByteBuffer.allocate(8 + values.length).putInt(0x801).putInt(values.length);
    for (int v : values) {
      b.put((byte) v);
    }
    return b.array();
  }

  static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(b);
    }
    return out.toByteArray();
  }

  static String imagesError(byte[] b, String source) {
    return assertThrows(IllegalArgumentException.class, () -> Idx.readImages(new ByteArrayInputStream(b), source)).getMessage();
  }

  @Test
  void readsRawAndGzipByContentNotName(@TempDir Path dir) throws IOException {
    byte[] raw = images(3, 5, 4);
    // the names lie on purpose: detection is by the gzip magic bytes
    Path gz = dir.resolve("train-images-idx3-ubyte");
    Files.write(gz, gzip(raw));
    Path plain = dir.resolve("train-images-idx3-ubyte.gz");
    Files.write(plain, raw);
    for (Path p : new Path[] {gz, plain}) {
      Idx.Images im = Idx.readImages(p);
      assertEquals(3, im.count());
      assertEquals(new Shape(1, 5, 4), im.shape());
      assertArrayEquals(Arrays.copyOfRange(raw, 16, raw.length), im.pixels());
    }
    assertEquals((byte) (59 * 7), Idx.readImages(gz).pixels()[59]);
    Path l = dir.resolve("labels");
    Files.write(l, gzip(labels(3, 9, 255, 0)));
    assertArrayEquals(new int[] {3, 9, 255, 0}, Idx.readLabels(l));
    assertArrayEquals(new int[] {3, 9, 255, 0}, Idx.readLabels(new ByteArrayInputStream(labels(3, 9, 255, 0)), "mem"));
  }

  @Test
  void truncatedFilesSayWhatIsMissing() throws IOException {
    byte[] raw = images(2, 3, 2);
    String m = imagesError(Arrays.copyOf(raw, 20), "cut-images-idx3-ubyte");
    assertEquals("IDX file cut-images-idx3-ubyte is truncated: it declares 2 images of 3x2 (12 bytes after the header)"
        + " but holds only 4; download it again", m);
    byte[] gz = gzip(images(50, 28, 28));
    m = imagesError(Arrays.copyOf(gz, gz.length / 2), "cut.gz");
    assertTrue(m.startsWith("IDX file cut.gz is truncated: its gzip stream ends early, inside the 50 images of 28x28"), m);
    assertTrue(imagesError(Arrays.copyOf(raw, 10), "h").contains("h ends inside its IDX header, before the row count"));
    assertTrue(imagesError(new byte[2], "e").contains("e is too short to hold an IDX header"));
    String lm = assertThrows(IllegalArgumentException.class,
        () -> Idx.readLabels(new ByteArrayInputStream(Arrays.copyOf(labels(1, 2, 3), 10)), "l")).getMessage();
    assertTrue(lm.contains("IDX file l is truncated: it declares 3 labels (3 bytes after the header) but holds only 2"), lm);
  }

  @Test
  void wrongMagicAndDimensions() {
    String m = imagesError(labels(1, 2), "train-labels-idx1-ubyte");
    assertTrue(m.startsWith("IDX file train-labels-idx1-ubyte has magic 0x00000801, not 0x00000803"), m);
    assertTrue(m.contains("it is a labels file: give the images file instead"), m);
    String lm = assertThrows(IllegalArgumentException.class,
        () -> Idx.readLabels(new ByteArrayInputStream(images(1, 2, 2)), "imgs")).getMessage();
    assertTrue(lm.contains("imgs has magic 0x00000803, not 0x00000801") && lm.contains("it is an images file"), lm);
    byte[] pngLike = {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0};
    assertTrue(imagesError(pngLike, "cat.png").contains("cat.png has magic 0x89504e47"));
    byte[] negative = images(1, 2, 2);
    ByteBuffer.wrap(negative).putInt(4, -1);
    assertTrue(imagesError(negative, "n").contains("n has a negative image count -1"));
    byte[] zeroRows = images(1, 2, 2);
    ByteBuffer.wrap(zeroRows).putInt(8, 0);
    assertTrue(imagesError(zeroRows, "z").contains("z declares images of 0x2 pixels"));
    // a header claiming ~2 GB: refused for its size, nothing allocated
    byte[] huge = images(1, 2, 2);
    ByteBuffer.wrap(huge).putInt(4, Integer.MAX_VALUE).putInt(8, 28).putInt(12, 28);
    assertTrue(imagesError(huge, "big").contains("big declares 2147483647 images of 28x28"));
    // a header claiming ~1 GB of a 20-byte file: truncated, read in bounded chunks
    ByteBuffer.wrap(huge).putInt(4, 1_000_000);
    assertTrue(imagesError(huge, "lie").contains("lie is truncated: it declares 1000000 images of 28x28 (784000000 bytes"));
  }

  @Test
  void trailingBytesMeanWrongDimensions() {
    byte[] raw = images(2, 3, 2);
    byte[] longer = Arrays.copyOf(raw, raw.length + 6);
    assertTrue(imagesError(longer, "x").contains("x has bytes after the 2 images of 3x2 its header declares"));
  }

  @Test
  void readsFashionMnist() throws IOException {
    Path images = FASHION.resolve("t10k-images-idx3-ubyte.gz");
    Assumptions.assumeTrue(Files.exists(images), "Fashion-MNIST is not installed; install it with: apt-get install -y dataset-fashion-mnist");
    Idx.Images im = Idx.readImages(images);
    int[] labels = Idx.readLabels(FASHION.resolve("t10k-labels-idx1-ubyte.gz"));
    assertEquals(10000, im.count());
    assertEquals(new Shape(1, 28, 28), im.shape());
    assertEquals(10000, labels.length);
    int[] perClass = new int[10];
    for (int l : labels) {
      perClass[l]++;
    }
    assertArrayEquals(new int[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, perClass);
  }
}
