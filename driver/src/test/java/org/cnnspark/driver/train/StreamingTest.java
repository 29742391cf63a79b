package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.Chunks;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.DataSplit;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training that streams each worker's chunks through a shuffle buffer: in file order it gives the
 * bits of training on whole partitions; shuffled, it visits every record once per epoch, reads
 * only the chunks a round needs, and repeats its bits.
 */
class StreamingTest {
  static final ModelSpec SPEC = ModelSpec.parse("conv(4,5) relu maxpool(2) dropout(0.25) flatten dense(16) relu dense(10)");
  static final OptimizerConfig SGD = OptimizerConfig.sgd(0.02, 0.9, false, 0);
  static final int BUFFER = 400; // chunks of 100 records, windows of 4 chunks

  @TempDir
  static Path dir;
  static Path images;
  static SparkSession spark;
  static JavaSparkContext jsc;

  @BeforeAll
  static void start() throws IOException {
    images = LocalSpark.writeIdx(dir, "stream", LocalSpark.fashion("train", 0, 1503), true);
    spark = LocalSpark.start(2, "cnn-spark streaming tests");
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static LoadedData load(int workers, DataSplit split, int buffer) {
    return Datasets.load(spark, DataOptions.of(images.toString(), workers).withSplit(split, 5).withShuffleBuffer(buffer));
  }

  static TrainState train(LoadedData data, TrainConfig cfg) {
    EngineSpec engine = new EngineSpec(SPEC, data.shape(), SGD, Normalization.SCALE_ONLY, 1);
    Network net = Network.create(SPEC, data.shape(), Init.PYTORCH, cfg.seed());
    try {
      return new DistributedTrainer(jsc, engine, cfg).run(data, null,
          TrainState.start(net.paramsArray(), SGD.stateFloatsPerParam() * net.trainableSize()), null);
    } finally {
      data.unpersist();
    }
  }

  static final TrainConfig CFG = TrainConfig.absent().epochs(2).batchSize(32).roundsPerEpoch(3).seed(7);

  @Test
  void inFileOrderStreamingGivesTheBitsOfWholePartitions() {
    for (DataSplit split : DataSplit.values()) {
      TrainState whole = train(load(3, split, 0), CFG.shuffle(false));
      LoadedData chunked = load(3, split, BUFFER);
      assertEquals(new Chunks(1503, 3, 100), chunked.chunks());
      assertEquals(3 * 6, chunked.blocks().getNumPartitions(), "501 records a worker: 6 chunks each");
      TrainState streamed = train(chunked, CFG.shuffle(false).shuffleBuffer(BUFFER));
      DistributedTrainerTest.assertBits(whole.params(), streamed.params(), split + ": parameters");
      DistributedTrainerTest.assertBits(whole.state(), streamed.state(), split + ": optimizer state");
      // chunked data trained without a buffer: each worker reads its chunks in order, as one partition
      TrainState unbuffered = train(load(3, split, BUFFER), CFG.shuffle(false));
      DistributedTrainerTest.assertBits(whole.params(), unbuffered.params(), split + ": chunks without a buffer");
    }
  }

  @Test
  void shuffledStreamingRepeatsItsBits() {
    TrainConfig cfg = CFG.shuffleBuffer(BUFFER);
    TrainState a = train(load(2, DataSplit.MIXED, BUFFER), cfg);
    TrainState b = train(load(2, DataSplit.MIXED, BUFFER), cfg);
    DistributedTrainerTest.assertBits(a.params(), b.params(), "two runs");
    TrainState whole = train(load(2, DataSplit.MIXED, 0), CFG);
    assertFalse(Arrays.equals(a.params(), whole.params()), "a buffer changes the order, so the bits");
  }

  @Test
  void aBufferNeedsChunkedData() {
    LoadedData whole = load(2, DataSplit.CONTIGUOUS, 0);
    try {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DistributedTrainer(jsc,
          new EngineSpec(SPEC, whole.shape(), SGD, Normalization.SCALE_ONLY, 1), CFG.shuffleBuffer(BUFFER))
          .run(whole.blocks(), null, TrainState.start(new float[0], 0), null));
      assertTrue(e.getMessage().contains("chunks"), e.getMessage());
    } finally {
      whole.unpersist();
    }
  }

  /**
   * Each epoch visits every record of a worker once; windows hold whole chunks; the chunks a
   * round reads hold every position its minibatches take.
   */
  @Test
  void anEpochVisitsEveryRecordOnceAndARoundReadsItsChunks() {
    Chunks chunks = new Chunks(1003, 3, 50); // workers of 335, 334, 334 records: 7 chunks each, the last short
    for (int p = 0; p < 3; p++) {
      StreamOrder o = new StreamOrder(chunks, 120, 11, 2, p, true);
      assertEquals(chunks.size(p), o.records());
      assertEquals(3, o.windows(), "windows of 3 chunks (120 records round up to 3 chunks of 50)");
      boolean[] seen = new boolean[(int) o.records()];
      List<Integer> firstChunks = new ArrayList<>();
      for (int k = 0; k < o.windows(); k++) {
        int[] inWindow = o.chunksOf(k, k);
        firstChunks.add(inWindow[0]);
        // record r of a window = the r-th record of its chunks read in order
        List<Integer> chunkOfRecord = new ArrayList<>();
        List<Integer> offsetOfRecord = new ArrayList<>();
        for (int c : inWindow) {
          for (int i = 0; i < chunks.chunkSize(p, c); i++) {
            chunkOfRecord.add(c);
            offsetOfRecord.add(i);
          }
        }
        int[] order = o.recordOrder(k);
        assertEquals(o.windowStart(k + 1) - o.windowStart(k), order.length);
        for (int r : order) {
          int position = chunkOfRecord.get(r) * 50 + offsetOfRecord.get(r);
          assertFalse(seen[position], "worker " + p + " visits position " + position + " twice");
          seen[position] = true;
        }
      }
      for (boolean s : seen) {
        assertTrue(s, "every record is visited");
      }
      assertFalse(firstChunks.equals(List.of(0, 3, 6)), "chunk order is shuffled");
      assertArrayEquals(new StreamOrder(chunks, 120, 11, 2, p, true).recordOrder(1), o.recordOrder(1), "repeatable");
      assertFalse(Arrays.equals(new StreamOrder(chunks, 120, 11, 3, p, true).recordOrder(0), o.recordOrder(0)),
          "another epoch, another order");
      for (long pos = 0; pos < o.records(); pos++) {
        int k = o.windowOf(pos);
        assertTrue(o.windowStart(k) <= pos && pos < o.windowStart(k + 1), "window of " + pos);
      }
    }
  }

  @Test
  void chunkLayout() {
    Chunks c = new Chunks(10, 4, 2); // sizes 3 3 2 2 -> chunks 2 2 1 1
    assertEquals(List.of(0, 2, 4, 5, 6), java.util.stream.IntStream.rangeClosed(0, 4).map(c::start).boxed().toList());
    assertEquals(1, c.chunkSize(0, 1));
    Chunks empty = new Chunks(2, 4, 5); // workers 2 and 3 hold nothing but keep one empty chunk
    assertEquals(4, empty.partitions());
    assertEquals(0, empty.chunkSize(3, 0));
  }

  /** The cached partitions of chunked data are the chunks, records in index order. */
  @Test
  void chunksHoldTheirWorkersRecordsInOrder() {
    LoadedData data = load(2, DataSplit.CONTIGUOUS, BUFFER);
    try {
      assertEquals(16, data.blocks().getNumPartitions(), "752 and 751 records: 8 chunks each");
      List<ImageBlock>[] parts = data.blocks().collectPartitions(java.util.stream.IntStream.range(0, 16).toArray());
      long next = 0;
      for (List<ImageBlock> part : parts) {
        int records = 0;
        for (ImageBlock b : part) {
          assertEquals(next, b.firstIndex());
          next += b.count();
          records += b.count();
        }
        assertTrue(records == 100 || records == 52 || records == 51, "a chunk of 100 records or a worker's last: " + records);
      }
      assertEquals(1503, next);
    } finally {
      data.unpersist();
    }
  }
}
