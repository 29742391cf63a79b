package org.cnnspark.driver.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.deploy.ClusterCheck.Report;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.driver.train.TrainState;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real multi-JVM Spark: deploy/standalone/start-cluster.sh starts a master and two workers (three
 * JVMs); the application reaches the executors only as the fat jar (spark.jars), as with
 * spark-submit. The executors must be two separate JVMs that load the native kernels from that jar,
 * and training the tutorial CNN with W = 2 there must give the same weights, bit for bit, as
 * {@code local[2]} in this JVM with W = 2 (the determinism guarantee of README.md).
 *
 * <p>Runs in the integration-test phase (after the fat jar is packaged). When the cluster cannot
 * start the test is skipped with the script's output, unless CNN_SPARK_REQUIRE_CLUSTER=1 (set by
 * .ci/run), which turns that into a failure.
 */
@Tag("compat")
class StandaloneClusterIT {
  private static final Path ROOT = Path.of(System.getProperty("cnnspark.root", "..")).toAbsolutePath().normalize();
  private static final Path SPARK_JAR = Path.of(System.getProperty("cnnspark.sparkJar",
      "target/cnn-spark-driver-0.1.0-SNAPSHOT-spark.jar")).toAbsolutePath();
  private static final Path RUN_DIR = Path.of("target/standalone-it").toAbsolutePath();
  private static String masterUrl;

  @BeforeAll
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  static void startClusterAndRun() throws Exception {
    startCluster();
    runBoth();
  }

  private static void startCluster() throws Exception {
    requireOrSkip(Files.isRegularFile(SPARK_JAR), "the fat jar " + SPARK_JAR + " is missing: run 'mvn verify' "
        + "(this test runs after the package phase) or 'mvn -pl driver -am package -DskipTests' first");
    Files.createDirectories(RUN_DIR);
    stopCluster(); // a cluster left behind by an interrupted earlier run
    Path err = RUN_DIR.resolve("start-cluster.err");
    Process p = new ProcessBuilder("bash", ROOT.resolve("deploy/standalone/start-cluster.sh").toString(),
        "--dir", RUN_DIR.toString(), "--spark-version", LocalSpark.sparkVersion(), "--scala-version", scalaBinaryVersion(), "--timeout", "240")
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

  /** What one Spark application computed: the smoke check and a short training run (null without Fashion-MNIST). */
  private record Run(List<Report> check, TrainState trained, DistributedTrainer.Evaluation test, Set<String> kernels) {}

  private static Run local;
  private static Run cluster;

  private static void runBoth() throws IOException {
    LocalSpark.Subset train = null;
    LocalSpark.Subset test = null;
    if (Files.exists(LocalSpark.FASHION.resolve("train-images-idx3-ubyte.gz"))) {
      train = LocalSpark.fashion("train", 0, 1600);
      test = LocalSpark.fashion("t10k", 0, 400);
    }
    LocalSpark.Subset trainData = train;
    LocalSpark.Subset testData = test;
    local = withSpark("local[2]", spark -> run(spark, trainData, testData));
    cluster = withSpark(masterUrl, spark -> run(spark, trainData, testData));
  }

  private static Run run(SparkSession spark, LocalSpark.Subset train, LocalSpark.Subset test) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Report> check = ClusterCheck.run(jsc, 2, 7);
    if (train == null) {
      return new Run(check, null, null, Set.of());
    }
    // The tutorial CNN, W = 2, one epoch in two rounds: averaging of parameters and momentum happens twice.
    ModelSpec spec = ModelSpec.parse("tutorial-cnn");
    Shape shape = new Shape(1, 28, 28);
    OptimizerConfig sgd = OptimizerConfig.sgd(0.01, 0.9, false, 0);
    TrainConfig config = TrainConfig.absent().epochs(1).roundsPerEpoch(2).seed(11);
    Network net = Network.create(spec, shape, Init.PYTORCH, config.seed());
    int stateSize = sgd.create(net.trainableSize()).stateSize();
    DistributedTrainer trainer = new DistributedTrainer(jsc, new EngineSpec(spec, shape, sgd, Normalization.SCALE_ONLY, 1), config);
    JavaRDD<ImageBlock> trainBlocks = LocalSpark.blocks(spark, train, 2);
    JavaRDD<ImageBlock> testBlocks = LocalSpark.blocks(spark, test, 2);
    TrainState end = trainer.run(trainBlocks, null, TrainState.start(net.paramsArray(), stateSize), null);
    return new Run(check, end, trainer.evaluate(testBlocks, end.params()), Set.copyOf(trainer.executorKernels()));
  }

  @Test
  void twoExecutorJvmsLoadTheNativeKernelsFromTheFatJar() {
    long self = ProcessHandle.current().pid();
    List<Report> c = cluster.check();
    assertEquals(2, c.stream().map(r -> r.jvm().pid()).distinct().count(), "two executor JVMs expected: " + c);
    assertEquals(2, c.stream().map(r -> r.jvm().executorId()).distinct().count(), "two executors expected: " + c);
    for (Report r : c) {
      assertFalse(r.jvm().pid() == self || r.jvm().executorId().equals("driver"), "partition ran in the driver JVM: " + r);
      assertEquals(backend(local.check().get(r.partition())), backend(r),
          "executor kernels differ from this JVM's (did the natives load from the fat jar?): " + r);
    }
    assertTrue(backend(local.check().get(0)).startsWith(System.getProperty("os.arch").equals("amd64") ? "dnnl" : "openblas")
        || !System.getProperty("os.arch").matches("amd64|aarch64"),
        "the native kernels did not load in this JVM: " + local.check().get(0).jvm().kernels());
    for (int i = 0; i < 2; i++) {
      assertEquals(local.check().get(i).weightsSha256(), c.get(i).weightsSha256(),
          "smoke check, partition " + i + ": weights differ between local[2] and the cluster");
    }
  }

  @Test
  void trainingOnTheClusterGivesTheWeightsOfLocal() {
    LocalSpark.assumeFashion();
    assertEquals(local.kernels(), cluster.kernels(), "kernel backends differ: the weights could not match");
    assertEquals(1, cluster.trained().epoch(), "training did not finish its epoch");
    float[] expected = local.trained().params();
    float[] actual = cluster.trained().params();
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError("parameters differ first at " + i + ": local[2] " + expected[i] + ", cluster " + actual[i]);
      }
    }
    assertArrayEquals(local.trained().state(), cluster.trained().state(), "optimizer state (momentum) differs");
    assertEquals(local.test(), cluster.test(), "distributed evaluation differs");
    // 13 steps per partition from scratch: little, but clearly above chance (0.1)
    assertTrue(local.test().accuracy() > 0.2, "training did not learn: " + local.test());
  }

  /** "dnnl-3.8.1", "openblas-0.3.30" or "java", without the reason. */
  private static String backend(Report r) {
    return r.jvm().kernels().replaceFirst("^cnn-spark kernels: ", "").replaceFirst(" \\(.*", "");
  }

  private static <T> T withSpark(String master, Function<SparkSession, T> body) {
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName("cnn-spark standalone cluster test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.jars", SPARK_JAR.toString())
        .config("spark.cores.max", "2")
        .config("spark.executor.cores", "1")
        .config("spark.executor.memory", "1g")
        .config("spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.cachedir=" + RUN_DIR.resolve("javacpp"))
        .config(KryoSettings.apply(new SparkConf(false)))
        .getOrCreate();
    try {
      return body.apply(spark);
    } finally {
      spark.stop();
    }
  }

  private static void requireOrSkip(boolean ok, String message) {
    if (!ok && "1".equals(System.getenv("CNN_SPARK_REQUIRE_CLUSTER"))) {
      fail(message + "\n(CNN_SPARK_REQUIRE_CLUSTER=1: failing instead of skipping)");
    }
    assumeTrue(ok, message);
  }

  /** "2.13" of the Scala on this classpath (the cluster's jars must be of the same Scala). */
  static String scalaBinaryVersion() {
    String v = scala.util.Properties$.MODULE$.versionNumberString();
    return v.substring(0, v.indexOf('.', v.indexOf('.') + 1));
  }
}
