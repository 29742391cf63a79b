package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Load on one local[2] Spark: many partitions on few cores, and many rounds in one run with the
 * driver's heap sampled after GC (it must not grow round after round: nothing per round may be
 * kept, such as broadcasts or results). The 50-million-parameter model is {@link LargeModelTest}.
 */
@Tag("slow")
class ScaleTest {
  static final ModelSpec SPEC = ModelSpec.parse("conv(4,5) relu maxpool(2) flatten dense(16) relu dense(10)");

  @TempDir
  static Path dir;
  static SparkSession spark;
  static JavaSparkContext jsc;
  static Path images;

  @BeforeAll
  static void start() throws IOException {
    images = LocalSpark.writeIdx(dir, "small-train", LocalSpark.fashion("train", 0, 1000), true);
    spark = LocalSpark.start(2, "cnn-spark scale tests");
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static TrainState train(int workers, TrainConfig cfg, RoundListener listener) {
    LoadedData data = Datasets.load(spark, DataOptions.of(images.toString(), workers));
    try {
      Shape shape = data.shape();
      OptimizerConfig opt = OptimizerConfig.sgd(0.05, 0.9, false, 0);
      Network net = Network.create(SPEC, shape, Init.PYTORCH, cfg.seed());
      EngineSpec engine = new EngineSpec(SPEC, shape, opt, Normalization.SCALE_ONLY, 1);
      return new DistributedTrainer(jsc, engine, cfg).run(data.blocks(), null,
          TrainState.start(net.paramsArray(), opt.stateFloatsPerParam() * net.trainableSize()), listener);
    } finally {
      data.unpersist();
    }
  }

  @Test
  void sixteenPartitionsOnTwoCoresGiveTheSameBitsTwice() {
    TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(16).roundsPerEpoch(2).seed(21);
    List<Long> examples = new ArrayList<>();
    TrainState first = train(16, cfg, (m, s) -> examples.add(m.examples()));
    TrainState second = train(16, cfg, null);
    // 62 or 63 records per partition, 4 minibatches of 16: round 1 trains two full ones (16 x 32), round 2 the rest
    assertEquals(List.of(512L, 488L, 512L, 488L), examples, "examples per round over 16 partitions");
    DistributedTrainerTest.assertBits(first.params(), second.params(), "parameters of two 16-partition runs");
    DistributedTrainerTest.assertBits(first.state(), second.state(), "momentum of two 16-partition runs");
    TrainState four = train(4, cfg, null);
    assertFalse(java.util.Arrays.equals(first.params(), four.params()), "4 partitions average other local models");
  }

  @Test
  void twoHundredRoundsKeepTheDriverHeapFlat() {
    // 10 epochs x 20 rounds; 500 records per partition in minibatches of 25: one step per round
    TrainConfig cfg = TrainConfig.absent().epochs(10).batchSize(25).roundsPerEpoch(20).seed(3);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    List<Double> heapMb = new ArrayList<>();
    int[] rounds = {0};
    long start = System.nanoTime();
    TrainState done = train(2, cfg, (m, s) -> {
      if (++rounds[0] % 10 == 0) {
        System.gc();
        heapMb.add(memory.getHeapMemoryUsage().getUsed() / 1e6);
      }
    });
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(200, rounds[0]);
    assertEquals(10, done.epoch());
    System.out.printf("ScaleTest: 200 rounds on local[2] in %.1f s; driver heap after GC every 10 rounds (MB): %s%n",
        seconds, heapMb.stream().map(h -> String.format("%.1f", h)).toList());
    // Rounds 10-50 warm up (JIT, Spark's first jobs); after that the heap may wobble but not climb.
    double early = median(heapMb.subList(4, 9));
    double late = median(heapMb.subList(15, 20));
    assertTrue(late - early < 24, String.format("driver heap grew from %.1f MB (rounds 50-90) to %.1f MB (rounds 160-200): "
        + "%s", early, late, heapMb));
  }

  @Test
  void resultSizeLimitIsCheckedBeforeTheFirstRound() {
    org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf();
    DistributedTrainer.checkResultSize(conf, 2, 100_000_000); // 2 x 400 MB under the 1 GB default
    String m = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> DistributedTrainer.checkResultSize(conf, 3, 100_000_000)).getMessage();
    assertTrue(m.contains("more than spark.driver.maxResultSize (1,073,741,824 bytes): set spark.driver.maxResultSize=1145m"),
        m);
    DistributedTrainer.checkResultSize(conf.set("spark.driver.maxResultSize", "0"), 16, 100_000_000);
  }

  static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    s.sort(null);
    return s.get(s.size() / 2);
  }
}
