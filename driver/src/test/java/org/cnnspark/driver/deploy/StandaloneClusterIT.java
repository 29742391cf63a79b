package org.cnnspark.driver.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.CnnKryoRegistrator;
import org.cnnspark.driver.deploy.ClusterCheck.Report;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real multi-JVM Spark: deploy/standalone/start-cluster.sh starts a master and two workers (three
 * JVMs); the application reaches the executors only as the fat jar (spark.jars), as with
 * spark-submit; the executors must be two separate JVMs that load the native kernels from that jar
 * and compute the same weights, bit for bit, as {@code local[2]} in this JVM.
 *
 * <p>Runs in the integration-test phase (after the fat jar is packaged). When the cluster cannot
 * start the test is skipped with the script's output, unless CNN_SPARK_REQUIRE_CLUSTER=1 (set by
 * .ci/run), which turns that into a failure.
 */
class StandaloneClusterIT {
  private static final Path ROOT = Path.of(System.getProperty("cnnspark.root", "..")).toAbsolutePath().normalize();
  private static final Path SPARK_JAR = Path.of(System.getProperty("cnnspark.sparkJar",
      "target/cnn-spark-driver-0.1.0-SNAPSHOT-spark.jar")).toAbsolutePath();
  private static final Path RUN_DIR = Path.of("target/standalone-it").toAbsolutePath();
  private static String masterUrl;

  @BeforeAll
  static void startCluster() throws Exception {
    requireOrSkip(Files.isRegularFile(SPARK_JAR), "the fat jar " + SPARK_JAR + " is missing: run 'mvn verify' "
        + "(this test runs after the package phase) or 'mvn -pl driver -am package -DskipTests' first");
    Files.createDirectories(RUN_DIR);
    Path err = RUN_DIR.resolve("start-cluster.err");
    Process p = new ProcessBuilder("bash", ROOT.resolve("deploy/standalone/start-cluster.sh").toString(),
        "--dir", RUN_DIR.toString(), "--spark-version", sparkVersion(), "--timeout", "240")
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectError(err.toFile())
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean exited = p.waitFor(300, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    for (String line : out.split("\n")) {
      if (line.startsWith("MASTER_URL=")) {
        masterUrl = line.substring("MASTER_URL=".length()).trim();
      }
    }
    requireOrSkip(exited && p.exitValue() == 0 && masterUrl != null,
        "the standalone cluster did not start (deploy/standalone/start-cluster.sh, logs in " + RUN_DIR + "):\n"
            + Files.readString(err));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (Files.isDirectory(RUN_DIR)) {
      Process p = new ProcessBuilder("bash", ROOT.resolve("deploy/standalone/stop-cluster.sh").toString(),
          "--dir", RUN_DIR.toString()).inheritIO().start();
      p.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void twoExecutorJvmsComputeTheSameWeightsAsLocal() {
    List<Report> local = withSpark("local[2]", jsc -> ClusterCheck.run(jsc, 2, 7));
    List<Report> cluster = withSpark(masterUrl, jsc -> ClusterCheck.run(jsc, 2, 7));

    long self = ProcessHandle.current().pid();
    assertEquals(2, cluster.stream().map(Report::pid).distinct().count(), "two executor JVMs expected: " + cluster);
    assertEquals(2, cluster.stream().map(Report::executorId).distinct().count(), "two executors expected: " + cluster);
    for (Report r : cluster) {
      assertFalse(r.pid() == self || r.executorId().equals("driver"), "partition ran in the driver JVM: " + r);
      assertEquals(backend(local.get(r.partition())), backend(r),
          "executor kernels differ from this JVM's (did the natives load from the fat jar?): " + r);
    }
    assertTrue(backend(local.get(0)).startsWith("openblas") || !System.getProperty("os.arch").matches("amd64|aarch64"),
        "the native kernels did not load in this JVM: " + local.get(0).kernels());
    for (int i = 0; i < 2; i++) {
      assertEquals(local.get(i).weightsSha256(), cluster.get(i).weightsSha256(),
          "partition " + i + ": weights differ between local[2] and the cluster");
    }
    assertFalse(local.get(0).weightsSha256().equals(local.get(1).weightsSha256()), "partitions must train on different data");
  }

  /** "openblas-0.3.31" or "java", without the reason. */
  private static String backend(Report r) {
    return r.kernels().replaceFirst("^cnn-spark kernels: ", "").replaceFirst(" \\(.*", "");
  }

  private static <T> T withSpark(String master, Function<JavaSparkContext, T> body) {
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName("cnn-spark standalone cluster test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.jars", SPARK_JAR.toString())
        .config("spark.cores.max", "2")
        .config("spark.executor.cores", "1")
        .config("spark.executor.memory", "1g")
        .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
        .config("spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.cachedir=" + RUN_DIR.resolve("javacpp"))
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrationRequired", "true")
        .config("spark.kryo.registrator", CnnKryoRegistrator.class.getName())
        .getOrCreate();
    try {
      return body.apply(JavaSparkContext.fromSparkContext(spark.sparkContext()));
    } finally {
      spark.stop();
    }
  }

  /** The Spark version on this test's classpath (4.0.x, or 4.2.x under -Pspark-4.2): the cluster runs the same. */
  private static String sparkVersion() throws IOException {
    try (InputStream in = SparkSession.class.getClassLoader().getResourceAsStream("spark-version-info.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      String v = p.getProperty("version");
      if (v == null) {
        throw new IllegalStateException("spark-version-info.properties is not on the classpath: is spark-common-utils missing?");
      }
      return v;
    }
  }

  private static void requireOrSkip(boolean ok, String message) {
    if (!ok && "1".equals(System.getenv("CNN_SPARK_REQUIRE_CLUSTER"))) {
      fail(message + "\n(CNN_SPARK_REQUIRE_CLUSTER=1: failing instead of skipping)");
    }
    assumeTrue(ok, message);
  }
}
