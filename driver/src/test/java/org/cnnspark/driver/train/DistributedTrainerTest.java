package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.engine.Augmentation;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rounds against the engine alone: one worker gives the engine's bits exactly (shuffled or in
 * file order, one or several rounds per epoch, averaged or reset optimizer state); two workers give
 * the example-weighted mean of two engines, bit for bit; repeated runs are identical.
 */
@Tag("compat")
class DistributedTrainerTest {
  /** Small enough to be quick, with dropout so step seeds matter. */
  static final ModelSpec SPEC = ModelSpec.parse("conv(6,5) relu maxpool(2) dropout(0.25) flatten dense(24) relu dense(10)");
  static final Shape SHAPE = new Shape(1, 28, 28);
  static final OptimizerConfig SGD = OptimizerConfig.sgd(0.02, 0.9, false, 0);

  static SparkSession spark;
  static JavaSparkContext jsc;
  /** The augmentation of distributed() and Alone (a test that sets it puts NONE back). */
  static Augmentation augmentation = Augmentation.NONE;
  static LocalSpark.Subset data;

  @BeforeAll
  static void start() throws IOException {
    data = LocalSpark.fashionTest(1203); // odd count: uneven partitions and a short last batch
    spark = LocalSpark.start(2, "cnn-spark trainer tests");
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static float[] initial(long seed) {
    return Network.create(SPEC, SHAPE, Init.PYTORCH, seed).paramsArray();
  }

  static TrainState distributed(OptimizerConfig opt, TrainConfig cfg, int workers, List<RoundMetrics> metrics) {
    EngineSpec engine = new EngineSpec(SPEC, SHAPE, opt, Normalization.SCALE_ONLY, 1, List.of(), augmentation);
    JavaRDD<ImageBlock> blocks = LocalSpark.blocks(spark, data, workers);
    float[] p0 = initial(cfg.seed());
    int stateSize = opt.create(Network.create(SPEC, SHAPE, Init.PYTORCH, 0).trainableSize()).stateSize();
    try {
      return new DistributedTrainer(jsc, engine, cfg).run(blocks, null, TrainState.start(p0, stateSize),
          (m, s) -> {
            if (metrics != null) {
              metrics.add(m);
            }
          });
    } finally {
      blocks.unpersist(false);
    }
  }

  /** The engine alone on records [from, to) of the subset as partition p, for its share of one round. */
  static final class Alone {
    final Trainer trainer;
    final int from;
    final int to;
    final int partition;

    Alone(float[] params, OptimizerConfig opt, int from, int to, int partition) {
      Network net = Network.create(SPEC, SHAPE, Init.PYTORCH, 0);
      net.setParams(params);
      trainer = new Trainer(net, opt, 1, Normalization.SCALE_ONLY);
      trainer.setAugmentation(augmentation);
      this.from = from;
      this.to = to;
      this.partition = partition;
    }

    /** Trains the minibatches of round r of K in epoch e as one of W workers, each at its step's rate; returns the examples seen. */
    long round(TrainConfig cfg, int epoch, int round, int workers) {
      double base = trainer.optimizer().config().lr();
      int n = to - from;
      int[] order = EpochOrder.order(cfg.seed(), epoch, partition, n, cfg.shuffle());
      int b = cfg.batchSize();
      int batches = (n + b - 1) / b;
      long seen = 0;
      int size = data.imageSize();
      for (int k = batches * round / cfg.roundsPerEpoch(); k < batches * (round + 1) / cfg.roundsPerEpoch(); k++) {
        int m = Math.min(b, n - k * b);
        long seed = EpochOrder.stepSeed(cfg.seed(), epoch, partition, k);
        trainer.optimizer().setLr(cfg.lr(base, epoch + (double) k / batches, workers));
        if (!cfg.shuffle()) { // file order: the plain contiguous entry point, no gathering
          trainer.trainBatch(data.pixels(), data.labels(), from + k * b, m, seed);
        } else {
          byte[] px = new byte[m * size];
          int[] lab = new int[m];
          for (int i = 0; i < m; i++) {
            int rec = from + order[k * b + i];
            System.arraycopy(data.pixels(), rec * size, px, i * size, size);
            lab[i] = data.labels()[rec];
          }
          trainer.trainBatch(px, lab, 0, m, seed);
        }
        seen += m;
      }
      return seen;
    }
  }

  static void assertBits(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError(what + " differ first at " + i + ": " + expected[i] + " vs " + actual[i]);
      }
    }
  }

  private void oneWorkerMatchesEngine(TrainConfig cfg, OptimizerConfig opt) {
    TrainState got = distributed(opt, cfg, 1, null);
    Alone alone = new Alone(initial(cfg.seed()), opt, 0, data.count(), 0);
    for (int e = 0; e < cfg.epochs(); e++) {
      for (int r = 0; r < cfg.roundsPerEpoch(); r++) {
        if (cfg.resetOptimizerState()) {
          alone.trainer.optimizer().reset();
        }
        alone.round(cfg, e, r, 1);
      }
    }
    assertBits(alone.trainer.network().paramsArray(), got.params(), "parameters");
    assertBits(alone.trainer.optimizer().stateArray(), got.state(), "optimizer state");
    assertEquals(alone.trainer.optimizer().steps(), got.steps(), "optimizer steps");
    assertEquals(cfg.epochs(), got.epoch());
    assertEquals(0, got.round());
  }

  @Test
  void oneWorkerShuffledIsTheEngineAlone() {
    oneWorkerMatchesEngine(TrainConfig.absent().epochs(2).batchSize(32).seed(11), SGD);
  }

  @ParameterizedTest
  @ValueSource(strings = {"crop=3,flip", "resized-crop=0.3,flip"})
  void oneWorkerWithAugmentationIsTheEngineAloneWithIt(String augment) {
    TrainConfig cfg = TrainConfig.absent().epochs(1).batchSize(32).seed(11);
    float[] plain = distributed(SGD, cfg, 1, null).params();
    augmentation = Augmentation.parse(augment);
    try {
      oneWorkerMatchesEngine(cfg, SGD);
      assertFalse(Arrays.equals(plain, distributed(SGD, cfg, 1, null).params()), "the augmentation changes the weights");
    } finally {
      augmentation = Augmentation.NONE;
    }
  }

  @Test
  void oneWorkerFileOrderIsTheEngineAlone() {
    oneWorkerMatchesEngine(TrainConfig.absent().epochs(1).batchSize(50).seed(3).shuffle(false), SGD);
  }

  @Test
  void oneWorkerSeveralRoundsIsTheEngineAlone() {
    // Averaging one partition is the identity, so K rounds change nothing, and Adam's step count carries on.
    oneWorkerMatchesEngine(TrainConfig.absent().epochs(1).batchSize(40).roundsPerEpoch(3).seed(5),
        OptimizerConfig.adam(1e-3, 0.9, 0.999, 1e-8, 0));
  }

  @Test
  void resetOptimizerStateStartsEachRoundFresh() {
    oneWorkerMatchesEngine(
        TrainConfig.absent().epochs(1).batchSize(40).roundsPerEpoch(2).resetOptimizerState(true).seed(5), SGD);
  }

  @Test
  void twoWorkersGiveTheWeightedMeanOfTwoEngines() {
    TrainConfig cfg = TrainConfig.absent().epochs(1).batchSize(32).seed(21);
    TrainState got = distributed(SGD, cfg, 2, null);
    TwoEngines alone = twoEngines(cfg);
    assertBits(alone.mean(), got.params(), "averaged parameters");
    assertFalse(Arrays.equals(alone.a().trainer.network().paramsArray(), got.params()),
        "the average must differ from one partition's parameters");
  }

  /** Both partitions of a two-worker run, each trained alone through epoch 1 as one round, and their weighted mean. */
  record TwoEngines(Alone a, Alone b, float[] mean) {}

  static TwoEngines twoEngines(TrainConfig cfg) {
    float[] p0 = initial(cfg.seed());
    int half = (int) LocalSpark.bound(data.count(), 2, 1); // 602: partition 0 has one record more
    Alone a = new Alone(p0, SGD, 0, half, 0);
    Alone b = new Alone(p0, SGD, half, data.count(), 1);
    long na = a.round(cfg, 0, 0, 2);
    long nb = b.round(cfg, 0, 0, 2);
    assertEquals(602, na);
    assertEquals(601, nb);
    float[] pa = a.trainer.network().paramsArray();
    float[] pb = b.trainer.network().paramsArray();
    float[] mean = new float[pa.length];
    for (int i = 0; i < pa.length; i++) {
      mean[i] = (float) (((double) na * pa[i] + (double) nb * pb[i]) / (na + nb));
    }
    return new TwoEngines(a, b, mean);
  }

  @Test
  void oneWorkerWithAScheduleIsEngineAlone() {
    // cosine with warm-up and linear scaling: at W = 1 the scale is 1, so the schedule alone moves the rate
    TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(32).roundsPerEpoch(2).seed(11)
        .learningRate(LearningRate.of("cosine", List.of(), LearningRate.GAMMA, 0.002, 0.5, "linear", 8));
    List<RoundMetrics> metrics = new ArrayList<>();
    TrainState got = distributed(SGD, cfg, 1, metrics);
    assertEngineAlone(cfg, got);
    TrainState constant = distributed(SGD, cfg.learningRate(LearningRate.constant()), 1, null);
    assertFalse(Arrays.equals(constant.params(), got.params()), "the schedule changes the weights");
    for (int i = 0; i < 4; i++) { // t = epoch + round / K = i / 2 of 2 epochs: cosine from 0.02 to 0.002
      double t = i / 2.0;
      assertEquals(0.002 + 0.018 * (1 + Math.cos(Math.PI * t / 2)) / 2, metrics.get(i).lr(), 1e-15, "round " + i + "'s rate");
    }
  }

  @Test
  void oneWorkerWithTheDefaultsIsTheEngineAlone() {
    // the train command's defaults (rounds, scaling, warm-up, outer rule): at W = 1 the engine alone with that schedule
    TrainConfig cfg = TrainConfig.defaults().epochs(2).batchSize(32).seed(11);
    TrainState got = distributed(SGD, cfg, 1, null);
    assertEngineAlone(cfg, got);
  }

  @Test
  void twoWorkersScaleAndWarmUpTheRateOfEachOfTheirSteps() {
    // linear scaling to 2 x 0.02, warmed up over half an epoch: each partition's step b of B runs at t = b / B
    TrainConfig cfg = TrainConfig.absent().epochs(1).batchSize(32).seed(21)
        .learningRate(LearningRate.of("constant", List.of(), LearningRate.GAMMA, 0, 0.5, "linear", 8));
    TrainState got = distributed(SGD, cfg, 2, null);
    TwoEngines alone = twoEngines(cfg);
    assertBits(alone.mean(), got.params(), "averaged parameters");
    assertEquals(0.04, alone.a().trainer.optimizer().lr(), 0.0, "the last step runs at the scaled rate, after the warm-up");
    TrainState unscaled = distributed(SGD, cfg.learningRate(LearningRate.constant()), 2, null);
    assertFalse(Arrays.equals(unscaled.params(), got.params()), "scaling changes the weights");
  }

  @Test
  void repeatedRunsAreBitIdentical() {
    TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(32).roundsPerEpoch(2).seed(8);
    List<RoundMetrics> m1 = new ArrayList<>();
    List<RoundMetrics> m2 = new ArrayList<>();
    TrainState a = distributed(SGD, cfg, 2, m1);
    TrainState b = distributed(SGD, cfg, 2, m2);
    assertBits(a.params(), b.params(), "parameters of two runs");
    assertBits(a.state(), b.state(), "optimizer state of two runs");
    assertEquals(4, m1.size(), "2 epochs x 2 rounds");
    for (int i = 0; i < m1.size(); i++) {
      assertEquals(m1.get(i).loss(), m2.get(i).loss(), 0.0, "round " + i + " loss");
    }
    assertEquals(data.count(), m1.get(0).examples() + m1.get(1).examples(), "an epoch's rounds see every record once");
    assertEquals(1, m1.get(0).epoch());
    assertEquals(2, m1.get(1).round());
    assertEquals(2, m1.get(3).epoch());
    // learning happens: the second epoch's loss is below the first round's
    assertTrue(m1.get(3).loss() < m1.get(0).loss(), "loss " + m1.get(0).loss() + " -> " + m1.get(3).loss());
  }

  @Test
  void continuingFromARoundsStateGivesTheUninterruptedBits() {
    // What checkpoints and --resume rely on: the state after any round is all a run needs.
    TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(32).roundsPerEpoch(3).seed(13);
    OptimizerConfig adam = OptimizerConfig.adam(1e-3, 0.9, 0.999, 1e-8, 0);
    EngineSpec engine = new EngineSpec(SPEC, SHAPE, adam, Normalization.SCALE_ONLY, 1);
    JavaRDD<ImageBlock> blocks = LocalSpark.blocks(spark, data, 2);
    int stateSize = adam.create(Network.create(SPEC, SHAPE, Init.PYTORCH, 0).trainableSize()).stateSize();
    TrainState start = TrainState.start(initial(cfg.seed()), stateSize);
    List<TrainState> states = new ArrayList<>();
    TrainState straight = new DistributedTrainer(jsc, engine, cfg).run(blocks, null, start, (m, st) -> states.add(st));
    assertEquals(6, states.size());
    TrainState middle = states.get(3); // after epoch 2, round 1
    assertEquals(1, middle.epoch());
    assertEquals(1, middle.round());
    TrainState resumed = new DistributedTrainer(jsc, engine, cfg).run(blocks, null,
        new TrainState(middle.epoch(), middle.round(), middle.params().clone(), middle.state().clone(), middle.steps()), null);
    blocks.unpersist(false);
    assertBits(straight.params(), resumed.params(), "parameters after resuming");
    assertBits(straight.state(), resumed.state(), "optimizer state after resuming");
    assertEquals(straight.steps(), resumed.steps());
  }

  @Test
  void emptyPartitionsContributeNothing() {
    // 3 records on 5 partitions: partitions 3 and 4 are empty; same as 3 partitions.
    LocalSpark.Subset full = data;
    data = new LocalSpark.Subset(Arrays.copyOf(full.pixels(), 3 * full.imageSize()), Arrays.copyOf(full.labels(), 3),
        3, full.imageSize());
    try {
      TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(2).seed(4);
      assertBits(distributed(SGD, cfg, 3, null).params(), distributed(SGD, cfg, 5, null).params(),
          "3 partitions vs 5 with two empty");
    } finally {
      data = full;
    }
  }

  @Test
  void divergenceNamesEpochRoundAndPartition() {
    OptimizerConfig huge = OptimizerConfig.sgd(1e9, 0, false, 0);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> distributed(huge, TrainConfig.absent().epochs(3), 2, null));
    assertTrue(e.getMessage().contains("epoch") && e.getMessage().contains("partition")
        && e.getMessage().contains("--lr"), e.getMessage());
  }

  @Test
  void sparkUiNamesEachJobAfterItsRound() throws InterruptedException {
    List<String> jobs = new CopyOnWriteArrayList<>();
    Map<String, Map<String, Object>> stages = new ConcurrentHashMap<>(); // stage name -> accumulator values
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart e) {
        jobs.add(String.valueOf(e.properties().getProperty("spark.job.description")));
      }

      @Override
      public void onStageCompleted(SparkListenerStageCompleted e) {
        Map<String, Object> values = new ConcurrentHashMap<>();
        for (AccumulableInfo a : scala.collection.JavaConverters.asJavaIterable(e.stageInfo().accumulables().values())) {
          if (a.name().isDefined() && a.name().get().startsWith("cnn-spark") && a.value().isDefined()) {
            values.put(a.name().get(), a.value().get());
          }
        }
        stages.put(e.stageInfo().name(), values);
      }
    };
    spark.sparkContext().addSparkListener(listener);
    List<RoundMetrics> metrics = new ArrayList<>();
    JavaRDD<ImageBlock> blocks = LocalSpark.blocks(spark, data, 2);
    try {
      TrainConfig cfg = TrainConfig.absent().epochs(1).batchSize(32).roundsPerEpoch(2).seed(3);
      int stateSize = SGD.create(Network.create(SPEC, SHAPE, Init.PYTORCH, 0).trainableSize()).stateSize();
      new DistributedTrainer(jsc, new EngineSpec(SPEC, SHAPE, SGD, Normalization.SCALE_ONLY, 1), cfg)
          .run(blocks, blocks, TrainState.start(initial(3), stateSize), (m, st) -> metrics.add(m));
      String last = "cnn-spark epoch 1 round 2/2: evaluate";
      long deadline = System.nanoTime() + 30_000_000_000L; // the listener bus delivers asynchronously
      while (!stages.containsKey(last) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(jobs.containsAll(List.of("cnn-spark epoch 1 round 1/2: train", "cnn-spark epoch 1 round 2/2: train", last)),
          "job descriptions: " + jobs);
      assertFalse(jobs.contains("cnn-spark epoch 1 round 1/2: evaluate"), "the test set is scored at the epoch's end");
      assertTrue(stages.containsKey(last), "stage names: " + stages.keySet());
      for (int r = 0; r < 2; r++) {
        Map<String, Object> values = stages.get("cnn-spark epoch 1 round " + (r + 1) + "/2: train");
        assertTrue(values != null, "stage names: " + stages.keySet());
        assertEquals(metrics.get(r).examples(), ((Number) values.get("cnn-spark examples")).longValue(), "round " + r);
        assertEquals(metrics.get(r).loss() * metrics.get(r).examples(),
            ((Number) values.get("cnn-spark loss sum")).doubleValue(), 1e-9 * metrics.get(r).examples(), "round " + r);
      }
    } finally {
      spark.sparkContext().removeSparkListener(listener);
      blocks.unpersist(false);
    }
  }

  @Test
  void evaluationMatchesTheEngineAlone() {
    float[] p = initial(2);
    EngineSpec engine = new EngineSpec(SPEC, SHAPE, SGD, Normalization.SCALE_ONLY, 1);
    JavaRDD<ImageBlock> blocks = LocalSpark.blocks(spark, data, 3);
    DistributedTrainer.Evaluation e = new DistributedTrainer(jsc, engine, TrainConfig.absent())
        .evaluate(blocks, p);
    blocks.unpersist(false);
    Network net = Network.create(SPEC, SHAPE, Init.PYTORCH, 0);
    net.setParams(p);
    try (Trainer t = new Trainer(net, SGD, 1, Normalization.SCALE_ONLY)) {
      Trainer.Stats s = t.evaluate(data.pixels(), data.labels(), 0, data.count(), 256);
      assertEquals(s.count(), e.count());
      assertEquals(s.accuracy(), e.accuracy(), 0.0);
      assertEquals(s.meanLoss(), e.loss(), 1e-6 * s.meanLoss());
    }
  }

  /** The engine alone, SGD from the same initial weights through cfg's epochs, ends with got's bits. */
  private void assertEngineAlone(TrainConfig cfg, TrainState got) {
    Network net = Network.create(SPEC, SHAPE, Init.PYTORCH, 0);
    net.setParams(initial(cfg.seed()));
    try (Trainer alone = new Trainer(net, SGD, 1, Normalization.SCALE_ONLY)) {
      for (int e = 0; e < cfg.epochs(); e++) {
        EngineAlone.epoch(alone, data.pixels(), data.labels(), data.count(), cfg, e);
      }
      assertBits(alone.network().paramsArray(), got.params(), "parameters");
      assertBits(alone.optimizer().stateArray(), got.state(), "optimizer state");
    }
  }
}
