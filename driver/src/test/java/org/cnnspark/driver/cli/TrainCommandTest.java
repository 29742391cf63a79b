package org.cnnspark.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.ModelDir;
import org.cnnspark.engine.io.ModelFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train command end to end on embedded local[2] Spark, and its refusals. */
class TrainCommandTest {
  static final Path TEST_IMAGES = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");

  static int run(String... args) {
    return Main.run(args);
  }

  @Test
  void trainsAndWritesAModelDirectory(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(TEST_IMAGES), "Fashion-MNIST is absent: install it with: apt-get install -y dataset-fashion-mnist");
    Path out = dir.resolve("model");
    int rc = run("train", "--data", TEST_IMAGES.toString(), "--epochs", "1", "--workers", "2", "--master", "local[2]",
        "--rounds-per-epoch", "2", "--lr", "0.05", "--out", out.toString());
    assertEquals(0, rc);
    ModelFile m = ModelDir.read(out.toString(), new Configuration());
    assertEquals("1x28x28", m.inputShape().toString());
    assertEquals("2", m.provenance().get("partitions"));
    List<String> lines = Files.readAllLines(out.resolve(ModelDir.METRICS));
    assertEquals(2, lines.size());
    assertTrue(lines.get(1).replace(" ", "").contains("\"epoch\":1,\"round\":2"), lines.get(1));
    assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary left behind");
  }

  @Test
  void badInputExitsTwoWithoutWritingAnything(@TempDir Path dir) {
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true));
    try {
      Path out = dir.resolve("model");
      assertEquals(2, run("train", "--data", dir.resolve("nope-images-idx3-ubyte").toString(), "--master", "local[1]", "--out", out.toString()));
      assertEquals(2, run("train", "--data", "x", "--epochs", "0", "--master", "local[1]", "--out", out.toString()));
      assertEquals(2, run("train", "--data", "x", "--arch", "conv(8,3) pool(2)", "--out", out.toString()));
      assertEquals(2, run("train", "--out", out.toString()));
      assertFalse(Files.exists(out));
      String text = buf.toString();
      assertTrue(text.contains("nope-images-idx3-ubyte"), text);
      assertTrue(text.contains("epochs must be >= 1"), text);
      assertTrue(text.contains("unknown layer 'pool'"), text);
      assertTrue(text.contains("Missing required option: '--data"), text);
    } finally {
      System.setErr(err);
    }
  }
}
