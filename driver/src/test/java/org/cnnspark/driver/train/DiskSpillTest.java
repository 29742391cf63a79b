package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.DataSplit;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data larger than the executors' storage memory (two executor JVMs whose storage memory is
 * shrunk to a few MB, 23.5 MB of images), held whole by each task or streamed in chunks of 1,000
 * records through a buffer of 4,000: the blocks that do not fit go to local disk once, every record
 * is decoded once however many rounds read it, and two runs give the same bits.
 */
class DiskSpillTest {
  static final ModelSpec SPEC = ModelSpec.parse("flatten dense(16) relu dense(10)");
  static final int RECORDS = 30_000;

  @TempDir
  static Path dir;

  @Test
  void dataLargerThanStorageMemoryIsDecodedOnceAndGivesTheSameBits() throws IOException {
    String home = LocalClusterTest.sparkHome();
    LocalSpark.assumeFashion();
    Path images = LocalSpark.writeIdx(dir, "spill-train", LocalSpark.fashion("train", 0, RECORDS), true);
    List<String> directories = LocalClusterTest.linkJars(Path.of(home));
    for (int buffer : new int[] {0, 4000}) {
      Run a = run(directories, images, buffer);
      Run b = run(directories, images, buffer);
      String what = buffer == 0 ? "whole partitions" : "streamed chunks";
      assertEquals(RECORDS, a.decoded(), what + ": records decoded in a run of 2 epochs x 3 rounds");
      assertEquals(RECORDS, b.decoded(), what);
      assertTrue(a.diskBytes() > a.memoryBytes() && a.memoryBytes() < 16L << 20,
          what + ": most of the data must be on disk, not in memory: " + a);
      DistributedTrainerTest.assertBits(a.state().params(), b.state().params(), what + ": parameters of two runs");
      DistributedTrainerTest.assertBits(a.state().state(), b.state().state(), what + ": optimizer state of two runs");
    }
  }

  record Run(TrainState state, long decoded, long memoryBytes, long diskBytes) {}

  private static Run run(List<String> directories, Path images, int buffer) {
    // (1024 MB heap - 300 MB reserved) x 0.005: about 3.6 MB of unified memory per executor
    SparkConf conf = LocalClusterTest.clusterConf(directories).set("spark.memory.fraction", "0.005")
        .setAppName("cnn-spark disk spill test").set("spark.ui.enabled", "false")
        .set("spark.driver.bindAddress", "127.0.0.1").set("spark.driver.host", "127.0.0.1");
    SparkSession spark = SparkSession.builder().config(KryoSettings.apply(conf)).getOrCreate();
    AtomicLong decoded = new AtomicLong();
    SparkListener counter = new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        for (AccumulableInfo a : scala.collection.JavaConverters.asJavaIterable(end.taskInfo().accumulables())) {
          if (a.name().isDefined() && a.name().get().equals(Datasets.DECODED) && a.update().isDefined()) {
            decoded.addAndGet(((Number) a.update().get()).longValue());
          }
        }
      }
    };
    spark.sparkContext().addSparkListener(counter);
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      LocalClusterTest.awaitExecutors(jsc, conf);
      // contiguous: the cached blocks are the decoded ones, so a block not kept would be decoded again
      DataSplit split = buffer == 0 ? DataSplit.CONTIGUOUS : DataSplit.MIXED;
      LoadedData data = Datasets.load(spark, DataOptions.of(images.toString(), 2).withSplit(split, 3)
          .withShuffleBuffer(buffer));
      OptimizerConfig opt = OptimizerConfig.sgd(0.05, 0.9, false, 0);
      Network net = Network.create(SPEC, data.shape(), Init.PYTORCH, 3);
      TrainConfig cfg = TrainConfig.absent().epochs(2).batchSize(64).roundsPerEpoch(3).seed(3).shuffleBuffer(buffer);
      TrainState done = new DistributedTrainer(jsc, new EngineSpec(SPEC, data.shape(), opt,
          Normalization.SCALE_ONLY, 1), cfg, ReduceMode.AUTO)
          .run(data, null, TrainState.start(net.paramsArray(), opt.stateFloatsPerParam() * net.trainableSize()),
              null);
      long memory = 0;
      long disk = 0;
      for (RDDInfo info : jsc.sc().getRDDStorageInfo()) {
        if (info.id() == data.blocks().id()) {
          memory += info.memSize();
          disk += info.diskSize();
        }
      }
      spark.sparkContext().listenerBus().waitUntilEmpty();
      data.unpersist();
      return new Run(done, decoded.get(), memory, disk);
    } catch (TimeoutException e) {
      throw new AssertionError("Spark's listener bus did not drain", e);
    } finally {
      spark.sparkContext().removeSparkListener(counter);
      spark.stop();
    }
  }
}
