package org.cnnspark.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cnnspark.engine.optim.Optimizer;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * Runs training steps and evaluation of one network on this machine with a fixed number of
 * threads. A batch is split into {@code threads} contiguous shards; each thread runs a replica
 * (shared parameters, own gradients) on its shard, the gradients are summed in shard order, and
 * one optimizer step follows. With the same thread count the result is bit-identical run to run.
 *
 * <p>Call order: construct, then any mix of {@link #trainBatch} / {@link #evaluate} /
 * {@link #predict}, then {@link #close}. Not thread-safe: one caller at a time.
 */
public final class Trainer implements AutoCloseable {
  private final Network net;
  private final Optimizer optimizer;
  private final Normalization norm;
  private final List<Network> replicas = new ArrayList<>();
  private final FloatBuffer[] inputs;
  private final FloatBuffer[] dLogits;
  private final ExecutorService pool;

  /** Totals over a batch (or many): loss summed over examples, correct predictions, examples. */
  public record Stats(double lossSum, long correct, long count) {
    public Stats plus(Stats o) {
      return new Stats(lossSum + o.lossSum, correct + o.correct, count + o.count);
    }

    public double meanLoss() {
      return count == 0 ? Double.NaN : lossSum / count;
    }

    public double accuracy() {
      return count == 0 ? Double.NaN : (double) correct / count;
    }

    public static final Stats ZERO = new Stats(0, 0, 0);
  }

  public Trainer(Network net, OptimizerConfig optimizer, int threads, Normalization norm) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.net = net;
    this.optimizer = optimizer.create(net.trainableSize());
    this.optimizer.freeze(net.frozenRanges());
    this.norm = norm;
    replicas.add(net);
    for (int t = 1; t < threads; t++) {
      replicas.add(net.replica());
    }
    inputs = new FloatBuffer[threads];
    dLogits = new FloatBuffer[threads];
    pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
      Thread th = new Thread(r, "cnn-engine");
      th.setDaemon(true);
      return th;
    });
  }

  public Network network() {
    return net;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  public int threads() {
    return replicas.size();
  }

  private interface ShardWork {
    Stats run(int shard, int first, int count);
  }

  /** Shards a batch of n uses: one per thread, or one when the batch is smaller than that. */
  private int shards(int n) {
    return n < replicas.size() ? 1 : replicas.size();
  }

  /** Runs work over contiguous shards of n examples, the caller's thread taking shard 0. */
  private Stats sharded(int n, ShardWork work) {
    int t = shards(n);
    if (t == 1) {
      return work.run(0, 0, n);
    }
    List<Future<Stats>> futures = new ArrayList<>();
    for (int s = 1; s < t; s++) {
      int first = (int) ((long) n * s / t);
      int count = (int) ((long) n * (s + 1) / t) - first;
      int shard = s;
      futures.add(pool.submit(() -> work.run(shard, first, count)));
    }
    Stats total = work.run(0, 0, (int) ((long) n / t));
    for (Future<Stats> f : futures) {
      try {
        total = total.plus(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while training", e);
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(c);
      }
    }
    return total;
  }

  private FloatBuffer input(int shard, int count) {
    inputs[shard] = Buffers.ensure(inputs[shard], (long) count * net.inputShape().size());
    return inputs[shard];
  }

  /**
   * One SGD/Adam step on n images (uint8, NCHW) starting at image {@code first} of {@code pixels}.
   * {@code seed} drives dropout for this step. Returns the batch's loss sum and correct count
   * (measured before the update, as a PyTorch loop's running loss).
   */
  public Stats trainBatch(byte[] pixels, int[] labels, int first, int n, long seed) {
    byte[] images = pixels;
    int from = first;
    if (!augmentation.isNone()) { // into scratch: the caller's pixels may be the dataset itself
      int size = net.inputShape().size();
      augmented = augmented != null && augmented.length >= n * size ? augmented : new byte[n * size];
      augmentation.apply(pixels, first, n, net.inputShape(), seed, augmented);
      images = augmented;
      from = 0;
    }
    byte[] in = images;
    int start = from;
    return step(n, (shard, off, count) -> {
      FloatBuffer x = input(shard, count);
      norm.apply(in, start + off, count, net.inputShape(), x);
      return forwardBackward(shard, x, labels, first + off, count, n, seed);
    });
  }

  /** Augments the images of the following byte-pixel training steps (not evaluation or prediction). */
  public void setAugmentation(Augmentation augmentation) {
    this.augmentation = augmentation;
  }

  private Augmentation augmentation = Augmentation.NONE;
  private byte[] augmented;

  /** The same step on already-normalised inputs x (N, C, H, W). */
  public Stats trainBatch(FloatBuffer x, int[] labels, int n, long seed) {
    return step(n, (shard, off, count) -> {
      FloatBuffer xs = input(shard, count);
      xs.put(0, x, off * net.inputShape().size(), count * net.inputShape().size());
      return forwardBackward(shard, xs, labels, off, count, n, seed);
    });
  }

  private Stats step(int n, ShardWork work) {
    if (n <= 0) {
      return Stats.ZERO;
    }
    Stats s = sharded(n, work);
    FloatBuffer g = net.grads();
    for (int r = 1, used = shards(n); r < used; r++) {
      Buffers.addInto(g, replicas.get(r).grads(), net.trainableSize());
    }
    optimizer.step(net.params(), g);
    return s;
  }

  private Stats forwardBackward(int shard, FloatBuffer x, int[] labels, int labelOff, int count, int batch, long seed) {
    Network r = replicas.get(shard);
    r.zeroGrads();
    FloatBuffer logits = r.forward(x, count, true, Seeds.mix(seed, shard));
    int k = r.numClasses();
    dLogits[shard] = Buffers.ensure(dLogits[shard], (long) count * k);
    SoftmaxCrossEntropy.Result res = SoftmaxCrossEntropy.lossAndGrad(logits, labels, labelOff, count, k, batch, dLogits[shard]);
    r.backward(dLogits[shard], count);
    return new Stats(res.lossSum(), res.correct(), count);
  }

  /** Loss and accuracy over n labelled images in eval mode, in chunks of {@code batch}. */
  public Stats evaluate(byte[] pixels, int[] labels, int first, int n, int batch) {
    Stats total = Stats.ZERO;
    for (int b = 0; b < n; b += batch) {
      int m = Math.min(batch, n - b);
      int start = first + b;
      total = total.plus(sharded(m, (shard, off, count) -> {
        Network r = replicas.get(shard);
        FloatBuffer x = input(shard, count);
        norm.apply(pixels, start + off, count, net.inputShape(), x);
        FloatBuffer logits = r.forward(x, count, false, 0);
        SoftmaxCrossEntropy.Result res = SoftmaxCrossEntropy.lossAndGrad(logits, labels, start + off, count, r.numClasses(), count, null);
        return new Stats(res.lossSum(), res.correct(), count);
      }));
    }
    return total;
  }

  /** Class probabilities (n, classes) of n images into probs, in eval mode. */
  public void predict(byte[] pixels, int first, int n, int batch, float[] probs) {
    int k = net.numClasses();
    for (int b = 0; b < n; b += batch) {
      int m = Math.min(batch, n - b);
      int start = first + b;
      int outBase = b;
      sharded(m, (shard, off, count) -> {
        Network r = replicas.get(shard);
        FloatBuffer x = input(shard, count);
        norm.apply(pixels, start + off, count, net.inputShape(), x);
        FloatBuffer logits = r.forward(x, count, false, 0);
        FloatBuffer p = Buffers.allocate((long) count * k);
        SoftmaxCrossEntropy.softmax(logits, count, k, p, 0);
        p.get(0, probs, (outBase + off) * k, count * k);
        return Stats.ZERO;
      });
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
