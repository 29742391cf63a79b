package org.cnnspark.engine.optim;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Buffers;

/**
 * Updates the trainable prefix of a flat parameter buffer from the gradient buffer.
 * State (momentum, Adam moments) is one flat buffer, {@code k * P} floats for k per parameter,
 * so the driver can average or checkpoint it as one array; {@link #steps()} counts updates.
 */
public abstract class Optimizer {
  /** Updates run on heap tiles of this many floats (direct-buffer element access is slow). */
  protected static final int TILE = 4096;

  protected final OptimizerConfig config;
  protected final int size;
  protected final FloatBuffer state;
  protected long steps;

  protected Optimizer(OptimizerConfig config, int size) {
    this.config = config;
    this.size = size;
    this.state = Buffers.allocate((long) config.stateFloatsPerParam() * size);
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

  /** Forget momentum and moments, as a freshly constructed PyTorch optimizer. */
  public void reset() {
    Buffers.zero(state, 0, stateSize());
    steps = 0;
  }
}
