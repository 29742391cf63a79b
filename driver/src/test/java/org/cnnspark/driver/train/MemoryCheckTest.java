package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.store.ModelDir;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's memory: its estimate no longer grows with W once the executors sum the results,
 * and issue 13's case (16 workers averaging 15.9M parameters with momentum on local[2] in a 2 GB
 * JVM) trains through the shuffle, is refused up front (exit 2, the numbers and what to set) when
 * told to collect, and, with the check off, ends with one paragraph and exit 3, not a stack trace.
 */
class MemoryCheckTest {
  static final String ARCH = "flatten dense(20000) relu dense(10)";
  static final long P = 784L * 20000 + 20000 + 200010;

  @TempDir
  Path dir;

  @Test
  void shuffledDriverHeapDoesNotGrowWithWorkers() {
    long shard = ShardLayout.MAX_FLOATS;
    long two = MemoryCheck.driverHeap(P, P, 0, 2, true, 0, shard);
    long sixtyFour = MemoryCheck.driverHeap(P, P, 0, 64, true, 0, shard);
    assertEquals(two, sixtyFour, "a cluster driver's heap with the shuffle");
    assertEquals(4 * 8 * P + MemoryCheck.BASE, two);
    assertEquals(68 * 8 * P + MemoryCheck.BASE, MemoryCheck.driverHeap(P, P, 0, 64, false, 0, shard), "(W + 4) B collected");
    assertTrue(MemoryCheck.driverHeap(P, P, P, 2, true, 0, shard) > two, "outer momentum counts");
    assertEquals(2, MemoryCheck.localSlots("local[2]"));
    assertEquals(3, MemoryCheck.localSlots("local[3,2]"));
    assertEquals(1, MemoryCheck.localSlots("local"));
    assertEquals(0, MemoryCheck.localSlots("local-cluster[2,1,1024]"));
    assertEquals(0, MemoryCheck.localSlots("yarn"));
  }

  @Tag("slow")
  @Test
  void sixteenWorkersOfSixteenMillionParametersInTwoGigabytes() throws IOException, InterruptedException {
    Path images = LocalSpark.writeIdx(dir.resolve("data"), "small-train", LocalSpark.fashion("train", 0, 512), true);
    String[] common = {"train", "--master", "local[2]", "--data", images.toString(), "--arch", ARCH, "--workers", "16",
        "--epochs", "1", "--rounds-per-epoch", "1", "--batch-size", "32"};

    Path shuffled = dir.resolve("shuffled");
    CliProcessTest.Result ok = CliProcessTest.cli(dir.resolve("shuffle.log"), List.of("-Xmx2g"), 5,
        with(common, "--out", shuffled.toString()));
    assertEquals(0, ok.code(), CliProcessTest.tail(dir.resolve("shuffle.log")));
    assertTrue(Files.exists(shuffled.resolve(ModelDir.MODEL)));

    Path refused = dir.resolve("refused");
    CliProcessTest.Result no = CliProcessTest.cli(dir.resolve("collect.log"),
        List.of("-Xmx2g", "-D" + ReduceMode.CONF + "=collect"), 5, with(common, "--out", refused.toString()));
    assertEquals(2, no.code(), no.output());
    assertTrue(no.output().contains("driver heap") && no.output().contains("16 workers")
        && no.output().contains(ReduceMode.CONF + "=shuffle") && no.output().contains("spark.driver.memory"), no.output());
    assertFalse(no.output().contains("\tat "), "no stack trace:\n" + no.output());
    assertFalse(Files.exists(refused.resolve(ModelDir.MODEL)));

    Path crashed = dir.resolve("crashed");
    CliProcessTest.Result oom = CliProcessTest.cli(dir.resolve("oom.log"), List.of("-Xmx2g", "-D" + ReduceMode.CONF
        + "=collect", "-D" + MemoryCheck.CONF + "=false"), 5, with(common, "--out", crashed.toString()));
    assertEquals(3, oom.code(), oom.output());
    // Spark's own "Lost task" warning may quote the task's trace above; the run ends with the paragraph
    String end = oom.output().substring(Math.max(0, oom.output().lastIndexOf("error: ")));
    assertTrue(end.contains("ran out of memory") && end.contains("--driver-memory"), oom.output());
    assertFalse(end.contains("\tat "), "no stack trace after the paragraph:\n" + oom.output());
    assertFalse(Files.exists(crashed.resolve(ModelDir.MODEL)));
    System.out.printf("MemoryCheckTest: 16 workers x %,d parameters with momentum in a 2 GB JVM: trained through the "
        + "shuffle in %.1f s; collecting: refused in %.1f s, or (check off) out of memory after %.1f s%n", P, ok.seconds(),
        no.seconds(), oom.seconds());
  }

  private static String[] with(String[] args, String... more) {
    String[] out = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, out, args.length, more.length);
    return out;
  }
}
