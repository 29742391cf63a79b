package org.cnnspark.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/**
 * OpenBLAS starts a pool of one thread per core when its library loads unless OPENBLAS_NUM_THREADS
 * (or GOTO_ or OMP_NUM_THREADS) says otherwise, which Spark users do not set. Two child JVMs, one
 * with those variables unset and one with OPENBLAS_NUM_THREADS=1, load the kernels, run an sgemm and
 * count the process's threads: no more with the variable unset. (On a one-core machine there is no
 * pool either way.) The JVMs start without the Vector API module, so the kernel line must name the
 * setting that turns it on.
 */
class NativeThreadsTest {
  @Test
  void noIdleOpenBlasPoolWhateverTheEnvironment() throws IOException, InterruptedException {
    Map<String, String> unset = child("native", "OPENBLAS_NUM_THREADS", null);
    Map<String, String> one = child("native", "OPENBLAS_NUM_THREADS", "1");
    assertNoMoreThreads(unset, one, "OPENBLAS_NUM_THREADS", "OpenBLAS kept an idle pool");
    assertEquals("1", unset.get("blas_cpu_number"), "OpenBLAS stays at one thread");
    assertEquals("1", one.get("blas_cpu_number"));
    assertEquals("0", unset.get("blas_server_avail"), "OpenBLAS's pool is stopped");
    assertEquals(one.get("c"), unset.get("c"), "the same sgemm result either way");

    String line = unset.get("kernels");
    assertTrue(line.startsWith("cnn-spark kernels: openblas"), line);
    assertTrue(line.contains("Vector API off") && line.contains("--add-modules=jdk.incubator.vector")
        && line.contains("spark.executor.extraJavaOptions"), line);
  }

  /**
   * oneDNN runs on OpenMP, which starts a team of one thread per core at the first parallel call
   * unless OMP_NUM_THREADS says otherwise; the engine sets one thread per calling thread. Same
   * comparison, and OpenBLAS (loaded alongside) stopped.
   */
  @Test
  void noOpenMpTeamForOneDnn() throws IOException, InterruptedException {
    Map<String, String> unset = child("dnnl", "OMP_NUM_THREADS", null);
    Map<String, String> one = child("dnnl", "OMP_NUM_THREADS", "1");
    assertNoMoreThreads(unset, one, "OMP_NUM_THREADS", "OpenMP kept a team");
    assertEquals("0", unset.get("blas_server_avail"), "OpenBLAS's pool is stopped");
    assertEquals(one.get("c"), unset.get("c"), "the same sgemm result either way");
    assertTrue(unset.get("kernels").startsWith("cnn-spark kernels: dnnl-"), unset.get("kernels"));
  }

  private static void assertNoMoreThreads(Map<String, String> unset, Map<String, String> one, String var, String otherwise) {
    int unsetThreads = Integer.parseInt(unset.get("threads"));
    int oneThreads = Integer.parseInt(one.get("threads"));
    assertTrue(unsetThreads <= oneThreads, "with " + var + " unset the process has " + unsetThreads
        + " threads after an sgemm, with it set to 1 " + oneThreads + " (" + Runtime.getRuntime().availableProcessors()
        + " cores): " + otherwise + "\nunset: " + unset + "\nset: " + one);
  }

  /** Runs {@link #main} with those kernels in a JVM whose {@code var} is {@code value} (null: unset, with its fallbacks). */
  private static Map<String, String> child(String kernels, String var, String value) throws IOException, InterruptedException {
    // A fixed set of JVM threads (serial GC, no compiler threads added on demand), so the counts compare.
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:-UseDynamicNumberOfCompilerThreads", "-Xmx256m", "-Dcnnspark.kernels=" + kernels,
        "-cp", System.getProperty("java.class.path"), NativeThreadsTest.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeAll(List.of("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"));
    if (value != null) {
      pb.environment().put(var, value);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), out);
    assertEquals(0, p.exitValue(), out);
    Map<String, String> values = new HashMap<>();
    for (String l : out.split("\n")) {
      if (l.startsWith("child ")) {
        String[] kv = l.substring(6).split("=", 2);
        values.put(kv[0], kv[1]);
      }
    }
    assertTrue(values.containsKey("threads"), out);
    return values;
  }

  /** The child: the engine's native init and one sgemm, then what the process holds. */
  public static void main(String[] args) throws IOException {
    String kernels = Kernels.description();
    int n = 256;
    FloatBuffer a = ByteBuffer.allocateDirect(4 * n * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    FloatBuffer c = ByteBuffer.allocateDirect(4 * n * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < n * n; i++) {
      a.put(i, (i % 7) - 3);
    }
    Kernels.gemm().sgemm(false, true, n, n, n, 1, a, 0, n, a, 0, n, 0, c, 0, n);
    double sum = 0;
    for (int i = 0; i < n * n; i++) {
      sum += c.get(i);
    }
    String threads = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Threads:"))
        .findFirst().orElseThrow().substring("Threads:".length()).trim();
    System.out.println("child threads=" + threads);
    System.out.println("child blas_cpu_number=" + new IntPointer(Loader.addressof("blas_cpu_number")).get());
    System.out.println("child blas_server_avail=" + new IntPointer(Loader.addressof("blas_server_avail")).get());
    System.out.println("child c=" + sum);
    System.out.println("child kernels=" + kernels);
  }
}
