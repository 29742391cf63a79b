package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training with two executor JVMs (Spark's local-cluster[2,1,1024]) gives the same bits as
 * local[2] with the same number of workers: the data is read from the IDX files on the executors,
 * shipped by Kryo between JVMs, and every executor builds its own engine.
 *
 * <p>Spark's launcher builds the executor command from SPARK_HOME/jars and SPARK_SCALA_VERSION
 * (both set for surefire in driver/pom.xml); this test fills SPARK_HOME/jars with links to the
 * jars on its own classpath, and gives the executors the class directories and JVM flags it runs with.
 */
@Tag("compat")
class LocalClusterTest {
  static final ModelSpec SPEC = ModelSpec.parse("conv(6,5) relu maxpool(2) dropout(0.25) flatten dense(24) relu dense(10)");

  @TempDir
  static Path dir;

  @Test
  void twoExecutorJvmsGiveTheBitsOfLocalMode() throws IOException {
    String home = sparkHome();
    Path images = LocalSpark.writeIdx(dir, "small-train", LocalSpark.fashion("train", 0, 1000), true);
    List<String> directories = linkJars(Path.of(home));

    TrainResult local = train(new SparkConf().setMaster("local[2]"), images, null);
    TrainResult remote = train(clusterConf(directories), images, null);

    assertEquals(2, remote.executors().size(), "two executor JVMs: " + remote.executors());
    assertNotEquals(local.executors(), remote.executors());
    DistributedTrainerTest.assertBits(local.state().params(), remote.state().params(), "local[2] vs local-cluster parameters");
    DistributedTrainerTest.assertBits(local.state().state(), remote.state().state(), "optimizer state");
    assertEquals(local.state().steps(), remote.state().steps());
  }

  /** SPARK_HOME, which the executors' launcher needs; the test is skipped without it. */
  static String sparkHome() {
    String home = System.getenv("SPARK_HOME");
    assumeTrue(home != null && System.getenv("SPARK_SCALA_VERSION") != null,
        "SPARK_HOME and SPARK_SCALA_VERSION are not set (driver/pom.xml sets them for surefire)");
    return home;
  }

  /** Two executor JVMs that see this JVM's class directories and flags. */
  static SparkConf clusterConf(List<String> directories) {
    return new SparkConf().setMaster("local-cluster[2,1,1024]")
        .set("spark.executor.extraClassPath", String.join(File.pathSeparator, directories))
        .set("spark.executor.extraJavaOptions", String.join(" ", jvmFlags()));
  }

  record TrainResult(TrainState state, Set<String> executors) {}

  static TrainResult train(SparkConf conf, Path images, RoundListener listener) {
    return train(conf, images, listener, ReduceMode.AUTO);
  }

  static TrainResult train(SparkConf conf, Path images, RoundListener listener, ReduceMode reduce) {
    conf.setAppName("cnn-spark local-cluster test")
        .set("spark.ui.enabled", "false")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.driver.host", "127.0.0.1");
    SparkSession spark = SparkSession.builder().config(KryoSettings.apply(conf)).getOrCreate();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      awaitExecutors(jsc, conf);
      LoadedData data = Datasets.load(spark, DataOptions.of(images.toString(), 2));
      Shape shape = data.shape();
      OptimizerConfig opt = OptimizerConfig.sgd(0.05, 0.9, false, 0);
      Network net = Network.create(SPEC, shape, Init.PYTORCH, 9);
      TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(32).roundsPerEpoch(2).seed(9);
      TrainState done = new DistributedTrainer(jsc, new EngineSpec(SPEC, shape, opt, Normalization.SCALE_ONLY, 1), cfg,
          reduce)
          .run(data.blocks(), null, TrainState.start(net.paramsArray(), opt.stateFloatsPerParam() * net.trainableSize()),
              listener);
      // Which JVMs ran the tasks: the process ids the executors report.
      Set<String> executors = new TreeSet<>(data.blocks().mapPartitions(it ->
          List.of(ManagementFactory.getRuntimeMXBean().getName()).iterator()).collect());
      data.unpersist();
      return new TrainResult(done, executors);
    } finally {
      spark.stop();
    }
  }

  /**
   * Waits until every executor of a local-cluster master has registered: an executor that comes
   * late finds the cached blocks on the other one, and locality then runs every task there.
   */
  static void awaitExecutors(JavaSparkContext jsc, SparkConf conf) {
    String master = conf.get("spark.master");
    if (!master.startsWith("local-cluster[")) {
      return;
    }
    int wanted = Integer.parseInt(master.substring("local-cluster[".length()).split(",")[0].trim());
    long deadline = System.nanoTime() + 120_000_000_000L;
    // getExecutorInfos lists the driver too
    while (jsc.sc().statusTracker().getExecutorInfos().length < wanted + 1) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(wanted + " executors did not register within 120 s; registered: "
            + (jsc.sc().statusTracker().getExecutorInfos().length - 1));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for executors", e);
      }
    }
  }

  /** Links every jar of this JVM's classpath into home/jars; returns the classpath's directories. */
  static List<String> linkJars(Path home) throws IOException {
    Path jars = home.resolve("jars");
    Files.createDirectories(jars);
    // start empty: links left by a build for another Spark version would put two Sparks on the
    // executors' classpath, and they never register with this driver
    try (var old = Files.list(jars)) {
      for (Path link : old.toList()) {
        Files.delete(link);
      }
    }
    List<String> directories = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry).toAbsolutePath();
      if (Files.isDirectory(p)) {
        directories.add(p.toString());
      } else if (entry.endsWith(".jar") && Files.exists(p)) {
        Path link = jars.resolve(p.getFileName());
        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createSymbolicLink(link, p);
        }
      }
    }
    return directories;
  }

  /** The module and native-access flags this JVM runs with (cnn.jvm.flags), for the executors. */
  static List<String> jvmFlags() {
    List<String> flags = new ArrayList<>();
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("--sun-misc-unsafe")
          || a.startsWith("-XX:+IgnoreUnrecognized") || a.startsWith("-Djdk.reflect") || a.startsWith("-Dio.netty")) {
        flags.add(a);
      }
    }
    return flags;
  }
}
