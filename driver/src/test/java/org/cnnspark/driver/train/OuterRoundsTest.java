package org.cnnspark.driver.train;

import static org.cnnspark.driver.train.DistributedTrainerTest.assertBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.ParamView;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Outer rules and round schedules in the rounds, on local[2] with 600 Fashion-MNIST images:
 * {@code average} is today's averaging bit for bit, bmuf on one worker is the engine alone, a run
 * continued from a round's state (outer momentum included) gives the uninterrupted bits, 16
 * partitions give the same bits twice, BatchNorm's running variances stay positive under the outer
 * step, and a schedule runs its rounds per epoch.
 */
class OuterRoundsTest {
  static final ModelSpec SPEC = ModelSpec.parse("conv(6,5) relu maxpool(2) dropout(0.25) flatten dense(24) relu dense(10)");
  static final ModelSpec BN = ModelSpec.parse("conv(8,3) batchnorm relu maxpool(2) flatten dense(10)");
  static final Shape SHAPE = new Shape(1, 28, 28);
  static final OptimizerConfig SGD = OptimizerConfig.sgd(0.02, 0.9, false, 0);
  static final OuterConfig DILOCO = new OuterConfig("diloco", null, null, null);
  static final OuterConfig BMUF = new OuterConfig("bmuf", null, null, null);

  static SparkSession spark;
  static JavaSparkContext jsc;
  static LocalSpark.Subset data;
  static LocalSpark.Subset test;

  @BeforeAll
  static void start() throws IOException {
    data = LocalSpark.fashion("train", 0, 600);
    test = LocalSpark.fashionTest(300);
    spark = LocalSpark.start(2, "cnn-spark outer rule tests");
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** A run of {@code cfg} on {@code workers} partitions from {@code from} (null: the start); every round's state in {@code states}. */
  static TrainState run(ModelSpec spec, TrainConfig cfg, int workers, TrainState from, List<TrainState> states,
      List<RoundMetrics> metrics) {
    EngineSpec engine = new EngineSpec(spec, SHAPE, SGD, Normalization.SCALE_ONLY, 1);
    JavaRDD<ImageBlock> blocks = LocalSpark.blocks(spark, data, workers);
    Network net = Network.create(spec, SHAPE, Init.PYTORCH, cfg.seed());
    TrainState start = from != null ? from : TrainState.start(net.paramsArray(), SGD.stateFloatsPerParam() * net.trainableSize());
    try {
      return new DistributedTrainer(jsc, engine, cfg).run(blocks, null, start, (m, s) -> {
        if (states != null) {
          states.add(s);
        }
        if (metrics != null) {
          metrics.add(m);
        }
      });
    } finally {
      blocks.unpersist(false);
    }
  }

  @Test
  void outerAverageIsTodaysAveragingBitForBit() {
    TrainConfig today = TrainConfig.absent().epochs(1).batchSize(32).roundsPerEpoch(2).seed(21);
    // lr 1 and momentum 0 given explicitly: not the absent value, the same rule
    TrainConfig average = today.outer(new OuterConfig("average", 1.0, 0.0, null));
    assertFalse(average.outer().isAbsent());
    TrainState a = run(SPEC, today, 3, null, null, null);
    TrainState b = run(SPEC, average, 3, null, null, null);
    assertBits(a.params(), b.params(), "parameters, average vs no outer option");
    assertBits(a.state(), b.state(), "optimizer state, average vs no outer option");
    assertEquals(0, b.outer().length, "no outer state without momentum");
    TrainState c = run(SPEC, today.outer(DILOCO), 3, null, null, null);
    assertFalse(Arrays.equals(a.params(), c.params()), "an outer step with momentum changes the result");
    assertEquals(Network.create(SPEC, SHAPE, Init.PYTORCH, 0).trainableSize(), c.outer().length);
  }

  @Test
  void bmufOnOneWorkerIsTheEngineAlone() {
    TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(32).roundsSchedule(List.of(3, 2)).seed(11).outer(BMUF);
    TrainState got = run(SPEC, cfg, 1, null, null, null);
    Network net = Network.create(SPEC, SHAPE, Init.PYTORCH, cfg.seed());
    try (Trainer t = new Trainer(net, SGD, 1, Normalization.SCALE_ONLY)) {
      int n = data.count();
      int size = data.imageSize();
      for (int e = 0; e < cfg.epochs(); e++) { // one worker: its rounds are the epoch's minibatches in a row
        int[] order = EpochOrder.order(cfg.seed(), e, 0, n, true);
        for (int b = 0; b < EpochOrder.batches(n, cfg.batchSize()); b++) {
          int m = Math.min(cfg.batchSize(), n - b * cfg.batchSize());
          byte[] px = new byte[m * size];
          int[] lab = new int[m];
          for (int i = 0; i < m; i++) {
            int rec = order[b * cfg.batchSize() + i];
            System.arraycopy(data.pixels(), rec * size, px, i * size, size);
            lab[i] = data.labels()[rec];
          }
          t.trainBatch(px, lab, 0, m, EpochOrder.stepSeed(cfg.seed(), e, 0, b));
        }
      }
      assertBits(t.network().paramsArray(), got.params(), "parameters");
      assertBits(t.optimizer().stateArray(), got.state(), "optimizer state");
    }
  }

  @Test
  void continuingAfterOuterMomentumBuiltUpGivesTheUninterruptedBits() {
    TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(32).roundsPerEpoch(3).seed(13).outer(DILOCO);
    List<TrainState> states = new ArrayList<>();
    TrainState straight = run(SPEC, cfg, 2, null, states, null);
    TrainState middle = states.get(3); // after epoch 2, round 1: 4 outer steps in the buffer
    assertEquals(1, middle.epoch());
    assertEquals(1, middle.round());
    assertTrue(maxAbs(middle.outer()) > 0, "momentum has built up");
    TrainState resumed = run(SPEC, cfg, 2, new TrainState(middle.epoch(), middle.round(), middle.params().clone(),
        middle.state().clone(), middle.steps(), middle.outer().clone()), null, null);
    assertBits(straight.params(), resumed.params(), "parameters after resuming");
    assertBits(straight.outer(), resumed.outer(), "outer momentum after resuming");
    TrainState lost = run(SPEC, cfg, 2, new TrainState(middle.epoch(), middle.round(), middle.params().clone(),
        middle.state().clone(), middle.steps()), null, null);
    assertFalse(Arrays.equals(straight.params(), lost.params()), "the buffer matters: without it the bits differ");
  }

  @Test
  void sixteenPartitionsOnTwoCoresGiveTheSameBitsTwice() {
    TrainConfig cfg = TrainConfig.absent().epochs(1).batchSize(16).roundsPerEpoch(2).seed(4).outer(DILOCO);
    TrainState a = run(SPEC, cfg, 16, null, null, null);
    TrainState b = run(SPEC, cfg, 16, null, null, null);
    assertBits(a.params(), b.params(), "parameters of two runs");
    assertBits(a.state(), b.state(), "optimizer state of two runs");
    assertBits(a.outer(), b.outer(), "outer momentum of two runs");
  }

  @Test
  void batchNormTrainsUnderTheOuterStepWithPositiveRunningVariances() {
    TrainConfig cfg = TrainConfig.absent().epochs(3).batchSize(32).roundsPerEpoch(2).seed(7).outer(DILOCO);
    TrainState done = run(BN, cfg, 4, null, null, null);
    Network net = Network.create(BN, SHAPE, Init.PYTORCH, 0);
    net.setParams(done.params());
    int variances = 0;
    for (ParamView v : net.views()) {
      if (v.name().endsWith("running_var")) {
        for (int i = 0; i < v.size(); i++) {
          float var = done.params()[v.offset() + i];
          assertTrue(var > 0 && Float.isFinite(var), v.name() + "[" + i + "] = " + var);
          variances++;
        }
      }
    }
    assertEquals(8, variances);
    try (Trainer t = new Trainer(net, SGD, 1, Normalization.SCALE_ONLY)) {
      double acc = t.evaluate(test.pixels(), test.labels(), 0, test.count(), 256).accuracy();
      assertTrue(acc > 0.5, "test accuracy " + acc + " (chance: 0.1)");
    }
  }

  @Test
  void aScheduleRunsItsRoundsPerEpoch() {
    TrainConfig cfg = TrainConfig.absent().epochs(3).batchSize(32).roundsSchedule(List.of(3, 1)).seed(2);
    List<RoundMetrics> metrics = new ArrayList<>();
    run(SPEC, cfg, 2, null, null, metrics);
    List<String> seen = metrics.stream().map(m -> m.epoch() + "." + m.round() + "/" + m.roundsPerEpoch()).toList();
    assertEquals(List.of("1.1/3", "1.2/3", "1.3/3", "2.1/1", "3.1/1"), seen);
    for (int e = 1; e <= 3; e++) {
      int epoch = e;
      assertEquals(data.count(), metrics.stream().filter(m -> m.epoch() == epoch).mapToLong(RoundMetrics::examples).sum(),
          "epoch " + e + " sees every record once");
    }
  }

  static double maxAbs(float[] v) {
    double m = 0;
    for (float f : v) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }
}
