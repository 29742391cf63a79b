package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.cli.Main;
import org.cnnspark.driver.store.Checkpoints;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.engine.io.ModelFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver SIGKILLed during training, then {@code train --resume}: the final model has the bits
 * of an uninterrupted run. Each run is a separate JVM ({@code cnn-spark train} on local[2]) with
 * this JVM's java, classpath and module flags; the uninterrupted reference runs in this JVM at the same time.
 */
@Tag("slow")
class DriverKillTest {
  static final String ARCH = "conv(8,3,pad=1) relu maxpool(2) conv(16,3,pad=1) relu maxpool(2) flatten dense(32) relu dense(10)";
  /** 3 epochs of 4 rounds: the kill comes after checkpoint 3 of 12. */
  static final int ROUNDS = 12;
  static final int KILL_AT = 3;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  @Test
  void aResumedRunEndsWithTheBitsOfAnUninterruptedOne() throws Exception {
    Path images = LocalSpark.writeIdx(dir.resolve("data"), "small-train", LocalSpark.fashion("train", 0, 2000), true);
    // the uninterrupted reference runs in this JVM (same java, classpath and flags), meanwhile
    Path whole = dir.resolve("whole");
    ExecutorService background = Executors.newSingleThreadExecutor();
    Future<Integer> reference = background.submit(() -> Main.run(args(images, whole).toArray(String[]::new)));
    Path killed = dir.resolve("killed");
    Process p = train(images, killed, "first");
    Path marker = killed.resolve(Checkpoints.DIR).resolve(String.format("round-%06d.cnn", KILL_AT));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!Files.exists(marker)) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        fail("train ended (exit " + (p.isAlive() ? "none" : p.exitValue()) + ") or timed out before writing " + marker
            + ":\n" + log("first"));
      }
      Thread.sleep(10);
    }
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(137, p.exitValue(), "killed by SIGKILL");
    assertFalse(Files.exists(killed.resolve(ModelDir.MODEL)), "killed before the end, or the test proves nothing: make "
        + "the run longer\n" + log("first"));

    Process resumed = train(images, killed, "resumed", "--resume");
    assertTrue(resumed.waitFor(180, TimeUnit.SECONDS), "resumed run timed out");
    assertEquals(0, resumed.exitValue(), log("resumed"));
    Matcher from = Pattern.compile("resuming from .*round-(\\d+)\\.cnn").matcher(log("resumed"));
    assertTrue(from.find(), log("resumed"));
    int at = Integer.parseInt(from.group(1));
    assertTrue(at >= KILL_AT && at < ROUNDS, "resumed from the middle, round " + at);

    assertEquals(0, reference.get(5, TimeUnit.MINUTES), "the uninterrupted run");
    background.shutdown();

    ModelFile a = ModelDir.read(whole.toString(), new Configuration());
    ModelFile b = ModelDir.read(killed.toString(), new Configuration());
    DistributedTrainerTest.assertBits(a.params(), b.params(), "parameters, killed and resumed vs uninterrupted");
    DistributedTrainerTest.assertBits(a.optimizerState(), b.optimizerState(), "momentum");
    assertEquals(a.optimizerSteps(), b.optimizerSteps());
    List<String> la = Files.readAllLines(whole.resolve(ModelDir.METRICS));
    List<String> lb = Files.readAllLines(killed.resolve(ModelDir.METRICS));
    assertEquals(ROUNDS, lb.size(), "a metrics line for every round, before and after the kill");
    for (int i = 0; i < ROUNDS; i++) {
      JsonNode x = JSON.readTree(la.get(i));
      JsonNode y = JSON.readTree(lb.get(i));
      assertEquals(x.get("loss").asDouble(), y.get("loss").asDouble(), 0.0, "round " + (i + 1) + " loss");
    }
  }

  /** Starts {@code cnn-spark train} in a new JVM; its output goes to {@code name}.log. */
  static Process train(Path images, Path out, String name, String... extra) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g"));
    cmd.addAll(LocalClusterTest.jvmFlags());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(args(images, out));
    cmd.addAll(List.of(extra));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
  }

  static List<String> args(Path images, Path out) {
    return List.of("train", "--master", "local[2]", "--data", images.toString(), "--arch", ARCH, "--workers", "2",
        "--lr", "0.05", "--batch-size", "32", "--seed", "7", "--epochs", "3", "--rounds-per-epoch", "4",
        "--out", out.toString());
  }

  static String log(String name) throws IOException {
    Path f = dir.resolve(name + ".log");
    return Files.exists(f) ? Files.readString(f) : "(no log)";
  }
}
