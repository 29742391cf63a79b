package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.cnnspark.engine.Shape;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image folder of 100,000 small PNGs in 100 class folders (ImageNet has 1.28M in 1,000): every
 * file becomes one record, in order, with its folder's label. Prints files/s of the load.
 * Slow-tagged, and not among the compat tests that CI runs on the other Spark lines: it exercises our
 * listing and decoding, not Spark's.
 */
@Tag("slow")
class ManyFilesTest extends SparkDataTest {
  static final int CLASSES = 100;
  static final int PER_CLASS = 1000;

  @TempDir
  Path root;

  @Test
  void hundredThousandFilesLoadInOrder() throws IOException {
    long t0 = System.nanoTime();
    for (int c = 0; c < CLASSES; c++) {
      Path folder = Files.createDirectories(root.resolve(String.format("class%03d", c)));
      for (int j = 0; j < PER_CLASS; j++) {
        int i = c * PER_CLASS + j;
        Files.write(folder.resolve(String.format("img%06d.png", i)), png(i));
      }
    }
    long t1 = System.nanoTime();
    LoadedData data = load(DataOptions.of(root.toString(), 2));
    long t2 = System.nanoTime();
    int n = CLASSES * PER_CLASS;
    System.out.printf("%,d PNGs in %d folders: written in %.1f s; listed and decoded in %.1f s (%,.0f files/s)%n", n,
        CLASSES, (t1 - t0) / 1e9, (t2 - t1) / 1e9, n / ((t2 - t1) / 1e9));
    assertEquals(n, data.count());
    assertEquals(new Shape(1, 4, 4), data.shape());
    assertEquals(CLASSES, data.numClasses());
    Flat flat = checkLayout(data, 2);
    for (int k = 0; k < n; k++) {
      assertEquals(k / PER_CLASS, flat.labels()[k], "label of record " + k);
      int got = (flat.pixels()[k * 16] & 0xff) << 16 | (flat.pixels()[k * 16 + 1] & 0xff) << 8
          | flat.pixels()[k * 16 + 2] & 0xff;
      assertEquals(k, got, "record " + k + " holds the wrong file");
    }
    data.unpersist();
  }

  /**
   * A 4x4 gray PNG whose first three pixels hold i, written by hand (ImageIO's writer would take
   * longer than the load under test): signature, IHDR, one IDAT of filter-0 rows, IEND.
   */
  static byte[] png(int i) throws IOException {
    byte[] rows = new byte[4 * 5];
    rows[1] = (byte) (i >> 16);
    rows[2] = (byte) (i >> 8);
    rows[3] = (byte) i;
    Deflater deflater = new Deflater();
    deflater.setInput(rows);
    deflater.finish();
    byte[] z = new byte[64];
    int zlen = deflater.deflate(z);
    deflater.end();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(4).putInt(4).put(new byte[] {8, 0, 0, 0, 0}).array());
    chunk(out, "IDAT", Arrays.copyOf(z, zlen));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String kind, byte[] data) throws IOException {
    CRC32 crc = new CRC32();
    byte[] k = kind.getBytes(StandardCharsets.US_ASCII);
    crc.update(k);
    crc.update(data);
    out.write(ByteBuffer.allocate(4).putInt(data.length).array());
    out.write(k);
    out.write(data);
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
