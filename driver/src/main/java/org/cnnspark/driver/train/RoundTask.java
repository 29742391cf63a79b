package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.cnnspark.driver.data.Chunks;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.kernels.Kernels;

/**
 * One partition's share of one training round, run on an executor: set the broadcast parameters
 * and optimizer state, run the round's minibatches (see {@link EpochOrder}), each at its step's
 * learning rate ({@link LearningRate}), and return a {@link PartitionResult}. Depends only on its
 * inputs and the partition index, so a retried or speculative attempt returns the same bits.
 */
final class RoundTask implements Function2<Integer, Iterator<ImageBlock>, Iterator<PartitionResult>> {
  private static final long serialVersionUID = 1L;

  private final EngineSpec engine;
  private final TrainConfig config;
  private final Broadcast<float[]> params;
  /** Null when the optimizer state is reset every round. */
  private final Broadcast<float[]> state;
  private final long steps;
  private final int epoch;
  private final int round;
  /** W, the training data's partitions: the learning rate may scale with it. */
  private final int workers;
  /** The round's totals for Spark's UI; the metrics come from the results, not from these. */
  private final LongAccumulator examples;
  private final DoubleAccumulator lossSum;
  private final LongAccumulator correct;
  private final Chunks chunks;
  /** What the result carries: the values training can change (null: all of them). */
  private final LiveValues live;

  RoundTask(EngineSpec engine, TrainConfig config, Broadcast<float[]> params, Broadcast<float[]> state, long steps,
      int epoch, int round, int workers, LongAccumulator examples, DoubleAccumulator lossSum, LongAccumulator correct) {
    this(engine, config, params, state, steps, epoch, round, workers, examples, lossSum, correct, null, null);
  }

  /**
   * @param chunks null = each partition is a worker's whole data; else it streams the round's chunks ({@link StreamOrder})
   * @param live the values the result carries (null: all)
   */
  RoundTask(EngineSpec engine, TrainConfig config, Broadcast<float[]> params, Broadcast<float[]> state, long steps,
      int epoch, int round, int workers, LongAccumulator examples, DoubleAccumulator lossSum, LongAccumulator correct,
      Chunks chunks, LiveValues live) {
    this.engine = engine;
    this.config = config;
    this.params = params;
    this.state = state;
    this.steps = steps;
    this.epoch = epoch;
    this.round = round;
    this.workers = workers;
    this.examples = examples;
    this.lossSum = lossSum;
    this.correct = correct;
    this.chunks = chunks;
    this.live = live;
  }

  @Override
  public Iterator<PartitionResult> call(Integer partition, Iterator<ImageBlock> blocks) {
    PartitionResult r = chunks == null ? run(partition, new PartitionData(blocks)) : stream(partition, blocks);
    if (examples != null) {
      examples.add(r.count());
      lossSum.add(r.lossSum());
      correct.add(r.correct());
    }
    return Collections.singletonList(r).iterator();
  }

  PartitionResult run(int partition, PartitionData data) {
    int n = data.count();
    int[] order = EpochOrder.order(config.seed(), epoch, partition, n, config.shuffle());
    return train(partition, n, data.imageSize(), (from, to, pixels, labels) -> data.gather(order, from, to, pixels,
        labels));
  }

  /**
   * The round's minibatches from a stream of chunks: the windows they fall in are read one at a
   * time (the partition holds those windows' chunks in {@link StreamOrder}'s reading order), so
   * the task holds one window, not the worker's data.
   */
  PartitionResult stream(int partition, Iterator<ImageBlock> blocks) {
    StreamOrder epochOrder = new StreamOrder(chunks, config.shuffleBuffer(), config.seed(), epoch, partition,
        config.shuffle());
    long n = epochOrder.records();
    int batch = config.batchSize();
    int batches = EpochOrder.batches((int) n, batch);
    int k = config.roundsInEpoch(epoch);
    int first = EpochOrder.firstBatch(batches, round, k);
    if (first == EpochOrder.firstBatch(batches, round + 1, k)) {
      return train(partition, (int) n, 0, null);
    }
    // The first window also tells the image size.
    Window[] current = {new Window(epochOrder.windowOf((long) first * batch), epochOrder, blocks, partition)};
    Batches source = (from, to, pixels, labels) -> {
      for (int pos = from; pos < to; pos++) {
        while (pos >= current[0].end) {
          current[0] = new Window(current[0].index + 1, epochOrder, blocks, partition);
        }
        Window w = current[0];
        w.data.copy(w.order[(int) (pos - w.start)], pixels, labels, pos - from);
      }
    };
    return train(partition, (int) n, current[0].data.imageSize(), source);
  }

  /** One window of a stream: its records read from the task's blocks, and their order. */
  private static final class Window {
    final int index;
    final long start;
    final long end;
    final PartitionData data;
    final int[] order;

    Window(int index, StreamOrder epochOrder, Iterator<ImageBlock> blocks, int partition) {
      this.index = index;
      this.start = epochOrder.windowStart(index);
      this.end = epochOrder.windowStart(index + 1);
      List<ImageBlock> read = new ArrayList<>();
      long records = 0;
      while (records < end - start && blocks.hasNext()) {
        ImageBlock b = blocks.next();
        read.add(b);
        records += b.count();
      }
      if (records != end - start) {
        throw new IllegalStateException("partition " + partition + ": window " + index + " should hold "
            + (end - start) + " records, its chunks held " + records);
      }
      data = new PartitionData(read);
      order = epochOrder.recordOrder(index);
    }
  }

  /** Copies the epoch's records at positions from..to - 1 into slots 0.. of a minibatch. */
  private interface Batches {
    void gather(int from, int to, byte[] pixels, int[] labels);
  }

  private PartitionResult train(int partition, int n, int imageSize, Batches data) {
    int batch = config.batchSize();
    int batches = EpochOrder.batches(n, batch);
    int k = config.roundsInEpoch(epoch);
    int first = EpochOrder.firstBatch(batches, round, k);
    int end = EpochOrder.firstBatch(batches, round + 1, k);
    if (first == end) {
      return new PartitionResult(partition, 0, 0, 0, 0, null, null, Kernels.gemm().name(), 0);
    }
    if (imageSize != engine.inputShape().size()) {
      throw new IllegalArgumentException("partition " + partition + " holds images of " + imageSize
          + " bytes but the model's input " + engine.inputShape() + " needs " + engine.inputShape().size()
          + ": load the data with the model's input shape");
    }
    long fetch = System.nanoTime();
    float[] p = params.value();
    float[] s = state == null ? null : state.value();
    long start = System.nanoTime();
    Trainer trainer = EngineCache.borrow(engine);
    try {
      trainer.network().setParams(p);
      if (s == null) {
        trainer.optimizer().reset();
      } else {
        trainer.optimizer().setState(s);
        trainer.optimizer().setSteps(steps);
      }
      byte[] pixels = new byte[Math.min(batch, n) * imageSize];
      int[] labels = new int[Math.min(batch, n)];
      Trainer.Stats total = Trainer.Stats.ZERO;
      double base = trainer.optimizer().config().lr();
      for (int b = first; b < end; b++) {
        // t = epoch + b / B: this partition's own steps, so a schedule means the same whatever W
        trainer.optimizer().setLr(config.lr(base, epoch + (double) b / batches, workers));
        int from = b * batch;
        int to = Math.min(n, from + batch);
        data.gather(from, to, pixels, labels);
        long seed = EpochOrder.stepSeed(config.seed(), epoch, partition, b);
        total = total.plus(trainer.trainBatch(pixels, labels, 0, to - from, seed));
      }
      return new PartitionResult(partition, total.count(), total.lossSum(), total.correct(), end - first,
          pack(trainer.network().paramsArray(), true), pack(trainer.optimizer().stateArray(), false),
          trainer.network().gemm().name(),
          (System.nanoTime() - start) / 1e9).withFetchSeconds((start - fetch) / 1e9);
    } finally {
      EngineCache.giveBack(engine, trainer);
    }
  }

  private float[] pack(float[] full, boolean params) {
    return live == null ? full : params ? live.packParams(full) : live.packState(full);
  }
}
