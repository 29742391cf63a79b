package org.cnnspark.driver.train;

import static org.cnnspark.driver.train.DistributedTrainerTest.assertBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.ImageBlock;
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

/**
 * The shuffle reduction on local[2]: the same bits as collecting on the driver (outer momentum,
 * BatchNorm buffers, Adam, shards that straddle parameters and state, empty partitions), the
 * driver receiving about one vector a round however many workers, and divergence named as before.
 */
@Tag("compat")
class ShuffleReduceTest {
  /** 87,678 trainable parameters and 13 BatchNorm buffers: with momentum, 3 shards on 3 workers, one across the boundary. */
  static final ModelSpec SPEC = ModelSpec.parse("conv(6,5) batchnorm relu maxpool(2) flatten dense(100) relu dense(10)");
  /** 795,010 parameters: 6.4 MB a result with momentum. */
  static final ModelSpec WIDE = ModelSpec.parse("flatten dense(1000) relu dense(10)");
  static final Shape SHAPE = new Shape(1, 28, 28);

  static SparkSession spark;
  static JavaSparkContext jsc;
  static LocalSpark.Subset data;

  @BeforeAll
  static void start() throws IOException {
    data = LocalSpark.fashion("train", 0, 600);
    spark = LocalSpark.start(2, "cnn-spark shuffle reduce tests");
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  record Run(TrainState state, List<RoundMetrics> metrics) {}

  static Run run(ModelSpec spec, OptimizerConfig opt, TrainConfig cfg, int workers, ReduceMode mode) {
    return run(spec, opt, cfg, workers, mode, List.of());
  }

  static Run run(ModelSpec spec, OptimizerConfig opt, TrainConfig cfg, int workers, ReduceMode mode,
      List<String> freeze) {
    EngineSpec engine = new EngineSpec(spec, SHAPE, opt, Normalization.SCALE_ONLY, 1, freeze,
        org.cnnspark.engine.Augmentation.NONE);
    JavaRDD<ImageBlock> blocks = LocalSpark.blocks(spark, data, workers);
    Network net = Network.create(spec, SHAPE, Init.PYTORCH, cfg.seed());
    List<RoundMetrics> metrics = new ArrayList<>();
    try {
      TrainState end = new DistributedTrainer(jsc, engine, cfg, mode).run(blocks, null,
          TrainState.start(net.paramsArray(), opt.create(net.trainableSize()).stateSize()), (m, s) -> metrics.add(m));
      return new Run(end, metrics);
    } finally {
      blocks.unpersist(false);
    }
  }

  static void assertSameRun(Run expected, Run actual, String what) {
    assertBits(expected.state().params(), actual.state().params(), what + ": parameters");
    assertBits(expected.state().state(), actual.state().state(), what + ": optimizer state");
    assertBits(expected.state().outer(), actual.state().outer(), what + ": outer momentum");
    assertEquals(expected.state().steps(), actual.state().steps(), what + ": steps");
    assertEquals(expected.metrics().size(), actual.metrics().size(), what + ": rounds");
    for (int i = 0; i < expected.metrics().size(); i++) {
      RoundMetrics e = expected.metrics().get(i);
      RoundMetrics a = actual.metrics().get(i);
      assertEquals(e.examples(), a.examples(), what + ": examples of round " + i);
      assertEquals(Double.doubleToLongBits(e.loss()), Double.doubleToLongBits(a.loss()), what + ": loss of round " + i);
      assertEquals(e.trainAccuracy(), a.trainAccuracy(), what + ": accuracy of round " + i);
    }
  }

  @Test
  void layoutCoversTheVectorInShards() {
    ShardLayout l = ShardLayout.of(87_691, 87_678, 3);
    assertEquals(3, l.shards());
    assertTrue(l.from(1) < 87_691 && l.to(1) > 87_691, "shard 1 straddles parameters and state: " + l);
    assertEquals(0, l.from(0));
    assertEquals(87_691 + 87_678, l.to(l.shards() - 1));
    assertEquals(1, ShardLayout.of(1000, 0, 16).shards(), "small vectors: one shard");
    assertEquals(25, ShardLayout.of(25_557_032, 0, 2).shards(), "at most 2^20 floats a shard");
    assertEquals(10, ShardLayout.of(10_000, 0, 2, 1000).shards());
    PartitionResult r = new PartitionResult(0, 1, 0, 0, 1, new float[] {1, 2, 3}, new float[] {4, 5}, null, 0);
    assertArrayEquals(new float[] {2, 3, 4}, ShardSplit.slice(r, 1, 4));
    assertArrayEquals(new float[] {5}, ShardSplit.slice(r, 4, 5));
  }

  @Test
  void shuffleGivesTheBitsOfCollectingWithOuterMomentumAndBatchNorm() {
    OptimizerConfig sgd = OptimizerConfig.sgd(0.02, 0.9, false, 1e-4);
    TrainConfig cfg = TrainConfig.defaults().epochs(2).batchSize(32).seed(5)
        .outer(new OuterConfig("bmuf", null, null, null));
    Run collect = run(SPEC, sgd, cfg, 3, ReduceMode.COLLECT);
    assertTrue(collect.state().outer().length > 0, "bmuf keeps outer momentum");
    assertSameRun(collect, run(SPEC, sgd, cfg, 3, ReduceMode.SHUFFLE), "bmuf, 3 workers");
  }

  @Test
  void shuffleGivesTheBitsOfCollectingWithAdamAndEmptyRounds() {
    OptimizerConfig adam = OptimizerConfig.adam(0.001, 0.9, 0.999, 1e-8, 0);
    // 600 records on 7 partitions, batch 64: 2 minibatches each, so 4 rounds leave two of them empty
    TrainConfig cfg = TrainConfig.absent().epochs(1).batchSize(64).roundsPerEpoch(4).seed(6);
    assertSameRun(run(SPEC, adam, cfg, 7, ReduceMode.COLLECT), run(SPEC, adam, cfg, 7, ReduceMode.SHUFFLE),
        "Adam, 7 workers");
  }

  @Test
  void driverReceivesAboutOneVectorARound() {
    OptimizerConfig sgd = OptimizerConfig.sgd(0.01, 0.9, false, 0);
    int p = Network.create(WIDE, SHAPE, Init.PYTORCH, 0).paramsArray().length;
    long b = 4L * 2 * p; // parameters and momentum
    TrainConfig cfg = TrainConfig.absent().epochs(1).batchSize(32).seed(7);
    for (int w : new int[] {2, 16}) {
      long shuffle = resultBytes(() -> run(WIDE, sgd, cfg, w, ReduceMode.SHUFFLE));
      assertTrue(shuffle <= 1.1 * b + (1 << 20), w + " workers, shuffle: the driver received " + shuffle
          + " bytes for one round, B = " + b);
      long collect = resultBytes(() -> run(WIDE, sgd, cfg, w, ReduceMode.COLLECT));
      assertTrue(collect >= w * b, w + " workers, collect: " + collect + " bytes, B = " + b);
      System.out.printf("ShuffleReduceTest: %d workers, B = %,d bytes: the driver received %,d bytes (shuffle) vs %,d "
          + "(collect) in one round%n", w, b, shuffle, collect);
    }
  }

  /**
   * --freeze: results carry only what trains (the head here), on both paths, with outer momentum;
   * the bits are those of averaging every value, frozen tensors and frozen batch-norm statistics
   * end as they began, and the driver receives a fraction of the bytes.
   */
  @Test
  void frozenTensorsAreNeitherSentNorAveraged() {
    ModelSpec spec = ModelSpec.parse("conv(8,3) batchnorm relu maxpool(2) flatten dense(64) relu dense(10)");
    List<String> freeze = List.of("conv1", "bn1", "fc1");
    OptimizerConfig sgd = OptimizerConfig.sgd(0.02, 0.9, false, 0);
    TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(32).seed(5).roundsPerEpoch(2)
        .outer(new OuterConfig("bmuf", null, null, null));
    Run[] packed = new Run[2];
    long packedBytes = resultBytes(() -> packed[0] = run(spec, sgd, cfg, 3, ReduceMode.COLLECT, freeze));
    packed[1] = run(spec, sgd, cfg, 3, ReduceMode.SHUFFLE, freeze);
    Run[] full = new Run[2];
    DistributedTrainer.sendFrozen = true;
    long fullBytes;
    try {
      fullBytes = resultBytes(() -> full[0] = run(spec, sgd, cfg, 3, ReduceMode.COLLECT, freeze));
      full[1] = run(spec, sgd, cfg, 3, ReduceMode.SHUFFLE, freeze);
    } finally {
      DistributedTrainer.sendFrozen = false;
    }
    assertSameRun(full[0], packed[0], "collect, frozen values sent or not");
    assertSameRun(full[1], packed[1], "shuffle, frozen values sent or not");
    assertSameRun(packed[0], packed[1], "collect and shuffle");

    Network start = Network.create(spec, SHAPE, Init.PYTORCH, cfg.seed());
    float[] before = start.paramsArray();
    float[] after = packed[0].state().params();
    for (org.cnnspark.engine.ParamView v : start.views()) {
      boolean frozen = !v.name().startsWith("fc2");
      boolean same = Arrays.equals(Arrays.copyOfRange(before, v.offset(), v.offset() + v.size()),
          Arrays.copyOfRange(after, v.offset(), v.offset() + v.size()));
      assertEquals(frozen, same, v.name() + (frozen ? " is frozen but moved" : " trains but did not move"));
    }
    assertTrue(packedBytes * 10 < fullBytes, "the driver received " + packedBytes + " bytes with only the head, "
        + fullBytes + " with every value");
  }

  /** Bytes of task results the driver received while {@code body} ran (every task of every stage). */
  private static long resultBytes(Runnable body) {
    AtomicLong bytes = new AtomicLong();
    SparkListener listener = new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd e) {
        if (e.taskMetrics() != null) {
          bytes.addAndGet(e.taskMetrics().resultSize());
        }
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      body.run();
      spark.sparkContext().listenerBus().waitUntilEmpty(); // task ends arrive asynchronously
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("Spark's listener bus did not drain", e);
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    return bytes.get();
  }

  @Test
  void sparkUiNamesTheTrainAndReduceStagesOfEachRound() {
    List<String> stages = new java.util.concurrent.CopyOnWriteArrayList<>();
    SparkListener listener = new SparkListener() {
      @Override
      public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted e) {
        stages.add(e.stageInfo().name());
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      run(SPEC, OptimizerConfig.sgd(0.01, 0.9, false, 0), TrainConfig.absent().epochs(1).roundsPerEpoch(2), 2,
          ReduceMode.SHUFFLE);
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("Spark's listener bus did not drain", e);
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    for (int r = 1; r <= 2; r++) {
      for (String part : new String[] {"train", "reduce"}) {
        String name = "cnn-spark epoch 1 round " + r + "/2: " + part;
        assertTrue(stages.contains(name), name + " among " + stages);
      }
    }
  }

  @Test
  void divergenceNamesPartitionAndParameter() {
    OptimizerConfig huge = OptimizerConfig.sgd(1e9, 0, false, 0);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> run(SPEC, huge, TrainConfig.absent().epochs(3), 2, ReduceMode.SHUFFLE));
    assertTrue(e.getMessage().contains("partition") && e.getMessage().contains("--lr"), e.getMessage());
    TrainingDivergedException c = assertThrows(TrainingDivergedException.class,
        () -> run(SPEC, huge, TrainConfig.absent().epochs(3), 2, ReduceMode.COLLECT));
    assertEquals(c.getMessage(), e.getMessage(), "the same message on both paths");
  }

  /** Each round's time is split into its parts, which fit in it; the JSON line carries them and reads back. */
  @Test
  void aRoundsTimeIsSplitIntoItsParts() {
    for (ReduceMode mode : new ReduceMode[] {ReduceMode.COLLECT, ReduceMode.SHUFFLE}) {
      Run r = run(SPEC, OptimizerConfig.sgd(0.01, 0.9, false, 0), TrainConfig.absent().epochs(1).roundsPerEpoch(2), 3,
          mode);
      for (RoundMetrics m : r.metrics()) {
        String what = mode + " " + m.toJson();
        assertTrue(m.broadcastSeconds() >= 0 && m.driverSeconds() > 0 && m.taskSeconds() > 0, what);
        assertEquals(mode == ReduceMode.COLLECT, m.reduceSeconds() == 0, what);
        assertTrue(m.broadcastSeconds() + m.taskSeconds() + m.reduceSeconds() + m.driverSeconds() <= m.seconds(), what);
        RoundMetrics back = RoundMetrics.fromJson(m.toJson());
        assertEquals(m.reduceSeconds(), back.reduceSeconds(), what);
        assertEquals(m.driverSeconds(), back.driverSeconds(), what);
        assertEquals(m.broadcastSeconds(), back.broadcastSeconds(), what);
      }
    }
    RoundMetrics old = RoundMetrics.fromJson("{\"epoch\":1,\"round\":1,\"loss\":1,\"train_accuracy\":0.5,"
        + "\"images_per_s\":10,\"seconds\":2}");
    assertTrue(Double.isNaN(old.driverSeconds()) && !old.toJson().contains("driver_seconds"), "a line of an earlier build");
  }
}
