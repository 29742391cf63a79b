package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cnnspark.engine.Shape;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR-10 binary batches written here in the format: 1 label byte + 3072 pixel bytes (R, G, B planes). */
class CifarLoadTest extends SparkDataTest {
  @TempDir
  Path dir;
  /** All records of data_batch_1 then data_batch_2, then test_batch. */
  byte[] records;

  @BeforeEach
  void writeBatches() throws IOException {
    Random random = new Random(42);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    int[] sizes = {7, 5, 3};
    String[] names = {"data_batch_1.bin", "data_batch_2.bin", "test_batch.bin"};
    for (int f = 0; f < 3; f++) {
      byte[] file = new byte[sizes[f] * CifarSource.RECORD];
      random.nextBytes(file);
      for (int r = 0; r < sizes[f]; r++) {
        file[r * CifarSource.RECORD] = (byte) random.nextInt(10);
      }
      Files.write(dir.resolve(names[f]), file);
      all.write(file);
    }
    records = all.toByteArray();
  }

  private void assertRecords(Flat flat, int first, int n) {
    for (int i = 0; i < n; i++) {
      int at = (first + i) * CifarSource.RECORD;
      assertEquals(records[at], flat.labels()[i], "label of record " + i);
      assertArrayEquals(Arrays.copyOfRange(records, at + 1, at + CifarSource.RECORD),
          Arrays.copyOfRange(flat.pixels(), i * 3072, (i + 1) * 3072), "pixels of record " + i);
    }
  }

  @Test
  void directoryMeansTheDataBatchesAcrossFiveWorkers() {
    LoadedData data = load(DataOptions.of(dir.toString(), 5));
    assertEquals(12, data.count());
    assertEquals(new Shape(3, 32, 32), data.shape());
    assertEquals(10, data.numClasses());
    assertEquals(List.of(), data.classNames());
    assertRecords(checkLayout(data, 5), 0, 12);
  }

  @Test
  void globAndSingleFile() {
    LoadedData all = load(DataOptions.of(dir.resolve("*.bin").toString(), 2));
    assertEquals(15, all.count());
    assertRecords(checkLayout(all, 2), 0, 15);
    LoadedData test = load(DataOptions.of(dir.resolve("test_batch.bin").toString(), 4));
    assertEquals(3, test.count());
    assertRecords(checkLayout(test, 4), 12, 3);
  }

  @Test
  void truncatedOrForeignFile() throws IOException {
    Path batch = dir.resolve("data_batch_2.bin");
    Files.write(batch, Arrays.copyOf(Files.readAllBytes(batch), 4 * CifarSource.RECORD + 100));
    fails(() -> load(DataOptions.of(dir.toString(), 2)), batch.toString(), "not a multiple of the 3073-byte record",
        "download it again");
    Files.write(batch, new byte[2 * 3074]);
    fails(() -> load(DataOptions.of(batch.toString(), 2)), "CIFAR-100");
    Files.write(batch, new byte[0]);
    fails(() -> load(DataOptions.of(batch.toString(), 2)), batch.toString(), "is empty");
    fails(() -> load(DataOptions.of(dir.resolve("nothing*.bin").toString(), 2).withFormat("cifar")),
        "no file matches");
  }

  @Test
  void labelOutsideTenClassesFailsOrIsSkipped() throws IOException {
    Path batch = dir.resolve("data_batch_2.bin");
    byte[] file = Files.readAllBytes(batch);
    file[3 * CifarSource.RECORD] = 10;
    Files.write(batch, file);
    fails(() -> load(DataOptions.of(dir.toString(), 3)), "record 3 of CIFAR-10 file", batch.toString(),
        "has label 10, outside [0, 10)", "--skip-bad-records");
    LoadedData data = load(DataOptions.of(dir.toString(), 3).withSkipBadRecords(true));
    assertEquals(1, data.skipped());
    assertEquals(11, data.count());
    Flat flat = checkLayout(data, 3);
    // record 10 (file 2, record 3) is gone: 0..9 then 11 in its place
    assertEquals(records[11 * CifarSource.RECORD], flat.labels()[10]);
    assertEquals(records[9 * CifarSource.RECORD], flat.labels()[9]);
  }

  @Test
  void grayInputShapeNeedsResize() {
    fails(() -> load(DataOptions.of(dir.toString(), 2).withInputShape(new Shape(1, 32, 32), false)),
        "3x32x32", "1x32x32", "--resize");
    LoadedData gray = load(DataOptions.of(dir.toString(), 2).withInputShape(new Shape(1, 32, 32), true));
    Flat flat = checkLayout(gray, 2);
    for (int i : new int[] {0, 77, 1023}) {
      int r = records[1 + i] & 0xff;
      int g = records[1 + 1024 + i] & 0xff;
      int b = records[1 + 2048 + i] & 0xff;
      double luma = 0.299 * r + 0.587 * g + 0.114 * b;
      assertEquals(luma, flat.pixels()[i] & 0xff, 0.51, "luma of pixel " + i);
    }
  }
}
