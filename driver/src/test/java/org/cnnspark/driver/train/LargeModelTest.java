package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.engine.io.ModelFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model of more than 50 million parameters (784 x 64,000 in one dense layer: 204 MB of floats)
 * trained and averaged by two workers on local[2], through the CLI in its own JVM: so the CLI's own
 * Spark settings are the ones under test (not this test JVM's session), with the heap the memory
 * formula of docs/operations.md gives. Each round broadcasts 204 MB and collects two 204 MB
 * partition results, past Kryo's default 64 MB buffer and near Spark's default 1 GB result limit.
 */
@Tag("slow")
class LargeModelTest {
  static final String ARCH = "flatten dense(64000) relu dense(10)";
  /** 784 * 64000 + 64000 + 64000 * 10 + 10. */
  static final int PARAMS = 50_880_010;

  @TempDir
  Path dir;

  @Test
  void fiftyMillionParametersTrainAndAverageOnTwoWorkers() throws IOException, InterruptedException {
    Path images = LocalSpark.writeIdx(dir.resolve("data"), "small-train", LocalSpark.fashion("train", 0, 128), true);
    Path out = dir.resolve("model");
    // docs/operations.md: local[2], 2 workers, plain SGD: 3 GB is enough (2.2 GB is not)
    CliProcessTest.Result r = CliProcessTest.cli(dir.resolve("train.log"), "3g", 5, "train", "--master", "local[2]",
        "--data", images.toString(), "--arch", ARCH, "--workers", "2", "--epochs", "2", "--batch-size", "64",
        "--momentum", "0", "--lr", "0.01", "--seed", "3", "--rounds-per-epoch", "1", "--out", out.toString());
    // one minibatch per partition and epoch: one round per epoch (more rounds would be empty)
    assertEquals(0, r.code(), CliProcessTest.tail(dir.resolve("train.log")));

    ModelFile m = ModelDir.read(out.toString(), new Configuration());
    assertEquals(PARAMS, m.params().length);
    assertTrue(m.params().length >= 50_000_000);
    for (float v : m.params()) {
      if (!Float.isFinite(v)) {
        throw new AssertionError("non-finite parameter in the averaged model");
      }
    }
    List<String> lines = Files.readAllLines(out.resolve(ModelDir.METRICS));
    assertEquals(2, lines.size(), "two rounds: " + lines);
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      JsonNode j = json.readTree(line);
      assertEquals(128, j.get("examples").asLong(), line);
      assertTrue(Double.isFinite(j.get("loss").asDouble()), line);
    }
    assertEquals("2", m.provenance().get("partitions"));
    System.out.printf("LargeModelTest: %,d parameters, 2 rounds with 2 workers on local[2] in %.1f s (JVM start included); "
        + "model file %,d bytes%n", PARAMS, r.seconds(), Files.size(out.resolve(ModelDir.MODEL)));
  }
}
