package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.CnnKryoRegistrator;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.io.Idx;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Training rounds on local[2] over a real Fashion-MNIST subset. */
class DistributedTrainerTest {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  static final Shape SHAPE = Shape.parse("1x28x28");
  static final int N = 1500;
  static SparkSession spark;
  static JavaSparkContext jsc;
  static Idx.Images images;
  static int[] labels;

  @BeforeAll
  static void start() throws IOException {
    assumeTrue(Files.exists(FASHION.resolve("t10k-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed at " + FASHION + "; install it with: apt-get install -y dataset-fashion-mnist");
    images = Idx.readImages(FASHION.resolve("t10k-images-idx3-ubyte.gz"));
    labels = Idx.readLabels(FASHION.resolve("t10k-labels-idx1-ubyte.gz"));
    spark = SparkSession.builder().master("local[2]").appName("cnn-spark training tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrationRequired", "true")
        .config("spark.kryo.registrator", CnnKryoRegistrator.class.getName())
        .getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** Images [first, first + n) in w contiguous partitions of one block each. */
  static LoadedData data(int first, int n, int w) {
    List<ImageBlock> blocks = new ArrayList<>();
    int size = SHAPE.size();
    for (int p = 0; p < w; p++) {
      int from = first + (int) ((long) n * p / w);
      int to = first + (int) ((long) n * (p + 1) / w);
      byte[] px = java.util.Arrays.copyOfRange(images.pixels(), from * size, to * size);
      blocks.add(new ImageBlock(1, 28, 28, from, px, java.util.Arrays.copyOfRange(labels, from, to)));
    }
    JavaRDD<ImageBlock> rdd = jsc.parallelize(blocks, w).cache();
    return new LoadedData(rdd, SHAPE, n, 10, List.of(), 0);
  }

  static TrainConfig config(int epochs, int rounds, boolean shuffle) {
    return config(epochs, rounds, shuffle, 7);
  }

  static TrainConfig config(int epochs, int rounds, boolean shuffle, long seed) {
    return new TrainConfig(ModelSpec.TUTORIAL_CNN, SHAPE, epochs, 32, OptimizerConfig.sgd(0.05, 0.9, false, 0),
        rounds, false, seed, shuffle, 1);
  }

  @Test
  void twoRunsGiveIdenticalWeightsAndLearn() {
    LoadedData train = data(0, N, 2);
    LoadedData test = data(N, 500, 2);
    List<DistributedTrainer.RoundMetrics> metrics = new ArrayList<>();
    DistributedTrainer a = new DistributedTrainer(jsc, config(2, 2, true), null);
    a.train(train, test, metrics::add);
    DistributedTrainer b = new DistributedTrainer(jsc, config(2, 2, true), null);
    b.train(train, test, m -> { });
    assertArrayEquals(a.params(), b.params());
    assertArrayEquals(a.state(), b.state());
    assertEquals(4, metrics.size());
    DistributedTrainer.RoundMetrics last = metrics.get(3);
    assertEquals(N / 2, last.images());
    assertTrue(metrics.get(0).loss() > last.loss(), "loss falls: " + metrics);
    assertTrue(last.testAccuracy() > 0.5, "test accuracy after 2 epochs on 1,500 images: " + last.testAccuracy());
    DistributedTrainer c = new DistributedTrainer(jsc, config(2, 2, true, 8), null);
    c.train(train, null, m -> { });
    assertFalse(java.util.Arrays.equals(a.params(), c.params()), "another seed trains differently");
  }

  @Test
  void oneWorkerOneRoundEqualsTheEngineAlone() {
    DistributedTrainer d = new DistributedTrainer(jsc, config(2, 1, false), null);
    d.train(data(0, N, 1), null, m -> { });

    Network net = Network.create(ModelSpec.parse(ModelSpec.TUTORIAL_CNN), SHAPE, Init.PYTORCH, 7);
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.05, 0.9, false, 0), 1, Normalization.SCALE_ONLY)) {
      for (int epoch = 0; epoch < 2; epoch++) {
        for (int b = 0; b < N; b += 32) {
          t.trainBatch(images.pixels(), labels, b, Math.min(32, N - b), 0);
        }
      }
      assertArrayEquals(net.paramsArray(), d.params(), "bit-identical to the engine on the same minibatch order");
      assertArrayEquals(t.optimizer().stateArray(), d.state());
    }
  }
}
