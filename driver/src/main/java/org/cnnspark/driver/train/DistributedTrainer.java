package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Seeds;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;

/**
 * Synchronous data-parallel training: each round broadcasts the flat parameters and optimizer
 * state, every partition trains the engine on its share of the round, and the driver averages the
 * partitions' parameters (and optimizer state) weighted by the examples each saw.
 *
 * <p>Determinism: minibatch order and dropout seeds derive from (seed, epoch, round, partition,
 * step) only; partition results are collected and summed in partition-index order, in double, so
 * the bits do not depend on task timing, retries or speculative copies. With one partition and one
 * round per epoch the average is the partition's own parameters exactly, so the run equals the
 * engine training alone on the same minibatch order.
 *
 * <p>Call order: construct (fresh or from given parameters), then {@link #train}; read
 * {@link #params()} / {@link #state()} / {@link #steps()} afterwards. Driver-side only.
 */
public final class DistributedTrainer {
  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final ModelSpec spec;
  private final int totalSize;
  private float[] params;
  private float[] state;
  private long steps;

  /** Per round: averaged loss and accuracy of the round's training minibatches, optional test figures. */
  public record RoundMetrics(int epoch, int round, double loss, double trainAccuracy, Double testLoss,
                             Double testAccuracy, long images, double seconds) {
    public double imagesPerSecond() {
      return images / seconds;
    }
  }

  /** Told about each finished round (progress line, metrics file). */
  public interface Listener {
    void round(RoundMetrics metrics);
  }

  public DistributedTrainer(JavaSparkContext jsc, TrainConfig config, float[] initialParams) {
    this.jsc = jsc;
    this.config = config;
    this.spec = ModelSpec.parse(config.architecture());
    Network net = Network.create(spec, config.inputShape(), Init.PYTORCH, config.seed());
    this.totalSize = net.totalSize();
    this.params = initialParams != null ? initialParams.clone() : net.paramsArray();
    if (params.length != totalSize) {
      throw new IllegalArgumentException("initial parameters have " + params.length + " floats; " + spec + " needs " + totalSize);
    }
    this.state = new float[config.optimizer().stateFloatsPerParam() * net.trainableSize()];
  }

  public float[] params() {
    return params;
  }

  public float[] state() {
    return state;
  }

  public long steps() {
    return steps;
  }

  public void train(LoadedData train, LoadedData test, Listener listener) {
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      for (int round = 0; round < config.roundsPerEpoch(); round++) {
        long t0 = System.nanoTime();
        List<ParamSum> parts = runRound(train.blocks(), epoch, round);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long images = 0;
        double lossSum = 0;
        long correct = 0;
        for (ParamSum p : parts) {
          images += p.count();
          lossSum += p.lossSum();
          correct += p.correct();
        }
        average(parts);
        if (Double.isNaN(lossSum) || Double.isInfinite(lossSum)) {
          throw new IllegalStateException("training diverged in epoch " + (epoch + 1) + ", round " + (round + 1)
              + ": the loss is " + lossSum + "; lower --lr");
        }
        Double testLoss = null;
        Double testAcc = null;
        if (test != null && round == config.roundsPerEpoch() - 1) {
          double[] e = evaluate(test.blocks());
          testLoss = e[0] / e[2];
          testAcc = e[1] / e[2];
        }
        listener.round(new RoundMetrics(epoch + 1, round + 1, images == 0 ? Double.NaN : lossSum / images,
            images == 0 ? Double.NaN : (double) correct / images, testLoss, testAcc, images, seconds));
      }
    }
  }

  private List<ParamSum> runRound(JavaRDD<ImageBlock> blocks, int epoch, int round) {
    Broadcast<float[]> bParams = jsc.broadcast(params);
    Broadcast<float[]> bState = jsc.broadcast(config.resetOptimizerState() ? new float[0] : state);
    TrainConfig cfg = config;
    long stepsNow = config.resetOptimizerState() ? 0 : steps;
    try {
      List<ParamSum> parts = new ArrayList<>(blocks.mapPartitionsWithIndex(
          (idx, it) -> trainPartition(cfg, idx, it, bParams.value(), bState.value(), stepsNow, epoch, round), false).collect());
      parts.sort(Comparator.comparingInt(ParamSum::partition));
      return parts;
    } finally {
      bParams.destroy();
      bState.destroy();
    }
  }

  /** Weighted average in double over partitions in index order; empty partitions contribute nothing. */
  private void average(List<ParamSum> parts) {
    long total = 0;
    for (ParamSum p : parts) {
      total += p.count();
    }
    if (total == 0) {
      return;
    }
    double[] accP = new double[params.length];
    double[] accS = new double[state.length];
    double accSteps = 0;
    for (ParamSum p : parts) {
      double w = p.count();
      float[] pp = p.params();
      for (int i = 0; i < accP.length; i++) {
        accP[i] += w * pp[i];
      }
      float[] ps = p.state();
      for (int i = 0; i < accS.length; i++) {
        accS[i] += w * ps[i];
      }
      accSteps += w * p.steps();
    }
    for (int i = 0; i < accP.length; i++) {
      params[i] = (float) (accP[i] / total);
    }
    for (int i = 0; i < accS.length; i++) {
      state[i] = (float) (accS[i] / total);
    }
    steps = Math.round(accSteps / total);
  }

  /** One partition's share of one round, on the executor. */
  static Iterator<ParamSum> trainPartition(TrainConfig cfg, int partition, Iterator<ImageBlock> it, float[] params,
                                           float[] state, long steps, int epoch, int round) {
    Shape shape = cfg.inputShape();
    Batch data = Batch.concat(it, shape);
    int n = data.labels.length;
    if (n == 0) {
      return java.util.Collections.emptyIterator();
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (cfg.shuffle()) {
      SplittableRandom rng = new SplittableRandom(Seeds.mix(cfg.seed(), epoch, partition));
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    int k = cfg.roundsPerEpoch();
    int from = (int) ((long) n * round / k);
    int to = (int) ((long) n * (round + 1) / k);
    Network net = Network.create(ModelSpec.parse(cfg.architecture()), shape, Init.PYTORCH, 0);
    net.setParams(params);
    int size = shape.size();
    try (Trainer trainer = new Trainer(net, cfg.optimizer(), cfg.threadsPerTask(), Normalization.SCALE_ONLY)) {
      if (state.length > 0) {
        trainer.optimizer().setState(state);
      }
      trainer.optimizer().setSteps(steps);
      byte[] bp = new byte[cfg.batchSize() * size];
      int[] bl = new int[cfg.batchSize()];
      Trainer.Stats total = Trainer.Stats.ZERO;
      int step = 0;
      for (int b = from; b < to; b += cfg.batchSize(), step++) {
        int m = Math.min(cfg.batchSize(), to - b);
        for (int i = 0; i < m; i++) {
          int src = order[b + i];
          System.arraycopy(data.pixels, src * size, bp, i * size, size);
          bl[i] = data.labels[src];
        }
        total = total.plus(trainer.trainBatch(bp, bl, 0, m, Seeds.mix(cfg.seed(), epoch, round, ((long) partition << 32) | step)));
      }
      return List.of(new ParamSum(partition, total.count(), total.lossSum(), total.correct(), trainer.optimizer().steps(),
          net.paramsArray(), trainer.optimizer().stateArray())).iterator();
    }
  }

  /** Loss sum, correct count and count over labelled data, summed over partitions in index order. */
  public double[] evaluate(JavaRDD<ImageBlock> blocks) {
    Broadcast<float[]> bParams = jsc.broadcast(params);
    TrainConfig cfg = config;
    try {
      List<double[]> parts = new ArrayList<>(blocks.mapPartitionsWithIndex((idx, it) -> {
        Batch data = Batch.concat(it, cfg.inputShape());
        Network net = Network.create(ModelSpec.parse(cfg.architecture()), cfg.inputShape(), Init.PYTORCH, 0);
        net.setParams(bParams.value());
        try (Trainer t = new Trainer(net, cfg.optimizer(), cfg.threadsPerTask(), Normalization.SCALE_ONLY)) {
          Trainer.Stats s = t.evaluate(data.pixels, data.labels, 0, data.labels.length, 256);
          return List.of(new double[] {idx, s.lossSum(), s.correct(), s.count()}).iterator();
        }
      }, false).collect());
      parts.sort(Comparator.comparingDouble(a -> a[0]));
      double[] out = new double[3];
      for (double[] p : parts) {
        out[0] += p[1];
        out[1] += p[2];
        out[2] += p[3];
      }
      return out;
    } finally {
      bParams.destroy();
    }
  }

  /** A partition's images in one contiguous array, in global index order. */
  static final class Batch {
    final byte[] pixels;
    final int[] labels;

    private Batch(byte[] pixels, int[] labels) {
      this.pixels = pixels;
      this.labels = labels;
    }

    static Batch concat(Iterator<ImageBlock> it, Shape shape) {
      List<ImageBlock> blocks = new ArrayList<>();
      long n = 0;
      while (it.hasNext()) {
        ImageBlock b = it.next();
        if (b.imageSize() != shape.size()) {
          throw new IllegalArgumentException("images of " + b.channels() + "x" + b.height() + "x" + b.width()
              + " do not fit the model's input " + shape + ": pass --input-shape to match, or resize the data");
        }
        blocks.add(b);
        n += b.count();
      }
      byte[] px = new byte[Math.toIntExact(n * shape.size())];
      int[] lb = new int[(int) n];
      int at = 0;
      for (ImageBlock b : blocks) {
        System.arraycopy(b.pixels(), 0, px, at * shape.size(), b.count() * shape.size());
        System.arraycopy(b.labels(), 0, lb, at, b.count());
        at += b.count();
      }
      return new Batch(px, lb);
    }
  }

  /** Classes shipped through Spark by training, for the Kryo registrator. */
  public static List<Class<?>> kryoClasses() {
    return List.of(ParamSum.class, ParamSum[].class, float[].class, double[].class, double[][].class);
  }
}
