package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cnnspark.driver.LocalSpark;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the bits of training: SHA-256 of the final parameters, optimizer state and step count of
 * 32 small runs (CLI and Estimator x sgd, adam x 1, 2 workers x 1, 3 rounds per epoch x fused
 * epilogue on, off), of a kept checkpoint resumed and of a kept PipelineModel's probabilities (see
 * {@link PinnedBits}) must equal the hashes in {@code pinned/bits.txt}.
 * Refactorings must leave them as they are; a change that means to alter the bits says so and
 * rewrites the file ({@code PinnedBits} prints it).
 *
 * <p>Each fusion setting runs in its own JVM with {@code -Dcnnspark.kernels=java}: the pure-Java
 * kernels give the same bits on every CPU, where OpenBLAS differs between AVX2 and AVX-512
 * ({@code bench/compare-native-bits.sh} compares the native path between two builds on one machine).
 */
@Tag("slow")
class PinnedBitsTest {
  @TempDir
  Path dir;

  @Test
  void trainingBitsAreThePinnedOnes() throws IOException, InterruptedException {
    LocalSpark.assumeFashion();
    List<String> expected;
    try (InputStream in = PinnedBitsTest.class.getResourceAsStream("/pinned/bits.txt")) {
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#")).toList();
    }
    List<String> actual = new ArrayList<>();
    for (boolean fuse : new boolean[] {true, false}) {
      actual.addAll(run(fuse));
    }
    assertEquals(36, expected.size(), "pinned/bits.txt holds one line per run and fusion setting");
    assertEquals(String.join("\n", expected), String.join("\n", actual));
  }

  /** PinnedBits in a new JVM with the Java kernels and the given fusion; its "pin ..." lines. */
  private List<String> run(boolean fuse) throws IOException, InterruptedException {
    Path log = dir.resolve("pinned-" + fuse + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx2g");
    cmd.addAll(LocalClusterTest.jvmFlags());
    cmd.addAll(List.of("-Dcnnspark.kernels=java", "-Dcnnspark.fuse=" + fuse, "-cp", System.getProperty("java.class.path"),
        PinnedBits.class.getName(), dir.resolve("work-" + fuse).toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("PinnedBits did not end in 15 minutes:\n" + CliProcessTest.tail(log));
    }
    assertEquals(0, p.exitValue(), CliProcessTest.tail(log));
    return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("pin ")).toList();
  }
}
