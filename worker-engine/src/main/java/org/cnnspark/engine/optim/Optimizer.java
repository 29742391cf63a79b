package org.cnnspark.engine.optim;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Buffers;

/**
 * Updates the trainable prefix of a flat parameter buffer from the gradient buffer.
 * State (momentum, Adam moments) is one flat buffer, {@code k * P} floats for k per parameter,
 * so the driver can average or checkpoint it as one array; {@link #steps()} counts updates.
 * The learning rate of a step is {@link #lr()}: the config's until a schedule sets another
 * (PyTorch's scheduler writing a param group's lr between steps).
 */
public abstract class Optimizer {
  /** Updates run on heap tiles of this many floats (direct-buffer element access is slow). */
  protected static final int TILE = 4096;

  protected final OptimizerConfig config;
  protected final int size;
  protected final FloatBuffer state;
  protected long steps;
  private double lr;

  protected Optimizer(OptimizerConfig config, int size) {
    this.config = config;
    this.size = size;
    this.state = Buffers.allocate((long) config.stateFloatsPerParam() * size);
    this.lr = config.lr();
  }

  /** Trainable ranges {start, end} the steps leave alone (frozen tensors), sorted; none by default. */
  private int[][] frozen = new int[0][];

  /**
   * Frozen tensors: their parameters and state are never touched, not even by weight decay.
   * Ranges {start, end} of [0, P), in any order.
   */
  public void freeze(java.util.List<int[]> ranges) {
    frozen = ranges.stream().sorted(java.util.Comparator.comparingInt(r -> r[0])).toArray(int[][]::new);
  }

  /** One update of params[0, P) from grads[0, P), skipping frozen ranges. */
  public final void step(FloatBuffer params, FloatBuffer grads) {
    int from = 0;
    for (int[] r : frozen) {
      if (r[0] > from) {
        update(params, grads, from, r[0]);
      }
      from = Math.max(from, r[1]);
    }
    if (from < size) {
      update(params, grads, from, size);
    }
    steps++;
  }

  /**
   * The update of params[from, to) from grads[from, to) (state at the same offsets), for step
   * number {@link #steps()} + 1.
   */
  protected abstract void update(FloatBuffer params, FloatBuffer grads, int from, int to);

  public OptimizerConfig config() {
    return config;
  }

  public FloatBuffer state() {
    return state;
  }

  public int stateSize() {
    return state.capacity();
  }

  /** The learning rate the next steps use, in double as the config's (rounded to float where a step uses it). */
  public double lr() {
    return lr;
  }

  /** Sets the learning rate of the next steps (a schedule's rate); {@link #reset} goes back to the config's. */
  public void setLr(double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + value);
    }
    lr = value;
  }

  public long steps() {
    return steps;
  }

  public void setSteps(long steps) {
    this.steps = steps;
  }

  public float[] stateArray() {
    return Buffers.toArray(state, stateSize());
  }

  public void setState(float[] values) {
    if (values.length != stateSize()) {
      throw new IllegalArgumentException("optimizer state has " + values.length + " floats, expected " + stateSize());
    }
    state.put(0, values);
  }

  /** Forget momentum, moments and a set learning rate, as a freshly constructed PyTorch optimizer. */
  public void reset() {
    Buffers.zero(state, 0, stateSize());
    steps = 0;
    lr = config.lr();
  }
}
