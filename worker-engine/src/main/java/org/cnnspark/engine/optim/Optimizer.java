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

  /** One update of params[0, P) from grads[0, P). */
  public abstract void step(FloatBuffer params, FloatBuffer grads);

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
