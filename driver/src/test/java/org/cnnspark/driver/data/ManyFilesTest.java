package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cnnspark.driver.GrayPng;
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
   * longer than the load under test).
   */
  static byte[] png(int i) {
    byte[] rows = new byte[4 * 5];
    rows[1] = (byte) (i >> 16);
    rows[2] = (byte) (i >> 8);
    rows[3] = (byte) i;
    return GrayPng.of(4, 4, rows);
  }
}
