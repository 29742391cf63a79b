package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnspark.engine.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The format registry: a format defined in test code ({@link TinyTextFormat}, listed in this
 * module's test resources) is found by name and by detection and loads like a built-in one.
 */
class DataFormatsTest extends SparkDataTest {
  @TempDir
  Path dir;

  private Path tinyFile() throws IOException {
    return Files.writeString(dir.resolve("three.tiny"), "1 0 10 20 30\n0 255 0 255 0\n2 1 2 3 4\n");
  }

  @Test
  void aFormatOnTheClassPathJoinsTheBuiltInOnes() {
    assertEquals(List.of("idx", "cifar", "images", "parquet", "tiny"), DataFormats.all().stream().map(DataFormat::name)
        .toList());
    assertInstanceOf(TinyTextFormat.class, DataFormats.get("TINY"));
    DataException e = assertThrows(DataException.class, () -> DataOptions.of("x", 1).withFormat("tiff"));
    assertTrue(e.getMessage().contains("use one of idx, cifar, images, parquet, tiny"), e.getMessage());
  }

  @Test
  void aTestFormatIsDetectedAndLoads() throws IOException {
    String path = tinyFile().toString();
    for (DataOptions options : List.of(DataOptions.of(path, 2), DataOptions.of(path, 2).withFormat("tiny"))) {
      LoadedData data = Datasets.load(spark, options);
      try {
        assertEquals(new Shape(1, 2, 2), data.shape());
        assertEquals(3, data.count());
        assertEquals(3, data.numClasses());
        Flat flat = checkLayout(data, 2);
        assertArrayEquals(new int[] {1, 0, 2}, flat.labels());
        assertArrayEquals(new byte[] {0, 10, 20, 30, (byte) 255, 0, (byte) 255, 0, 1, 2, 3, 4}, flat.pixels());
      } finally {
        data.unpersist();
      }
    }
  }

  /** Detection asks every format in order: names, then first bytes; the built-ins keep their rules. */
  @Test
  void builtInFormatsAreDetectedByNameAndContent() throws IOException {
    var hadoop = spark.sparkContext().hadoopConfiguration();
    assertEquals("tiny", Datasets.detect(tinyFile().toString(), hadoop).name());
    assertEquals("cifar", Datasets.detect(Files.write(dir.resolve("b.bin"), new byte[8]).toString(), hadoop).name());
    assertEquals("parquet", Datasets.detect(Files.write(dir.resolve("t"), "PAR1xxxx".getBytes()).toString(), hadoop).name());
    assertEquals("idx", Datasets.detect(Files.write(dir.resolve("g"), new byte[] {0x1f, (byte) 0x8b, 8, 0}).toString(),
        hadoop).name());
    Files.createDirectories(dir.resolve("folders/cat"));
    assertEquals("images", Datasets.detect(dir.resolve("folders").toString(), hadoop).name());
    DataException e = assertThrows(DataException.class,
        () -> Datasets.detect(Files.write(dir.resolve("u"), new byte[] {1, 2, 3, 4}).toString(), hadoop));
    assertTrue(e.getMessage().contains("pass --format idx|cifar|images|parquet|tiny"), e.getMessage());
  }
}
