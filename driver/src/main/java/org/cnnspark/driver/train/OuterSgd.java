package org.cnnspark.driver.train;

import java.util.function.IntToDoubleFunction;

/**
 * The outer update of a round: torch.optim.SGD with dampening 0 applied on the driver to the
 * pseudo-gradient d = x - a, where x is the parameters the round started from and a the workers'
 * example-weighted average. buf = momentum * buf + d; g = d + momentum * buf (Nesterov) or buf;
 * x' = x - lr * g. PyTorch starts buf at d on the first step; with dampening 0 that equals the
 * recurrence from buf = 0, so a zero buffer means "no history". Only the trainable prefix takes
 * the step: buffers after it (BatchNorm running statistics) are averaged, since a step on them has
 * no meaning (a running variance extrapolated past the workers' could turn negative).
 *
 * <p>Computed in double from the round's double sums and stored as floats, parameters and buffer
 * alike, so a run resumed from a checkpoint continues with the uninterrupted run's bits. With
 * lr 1 and momentum 0 the step is x - (x - a) = a only up to rounding, so {@link #isAverage()}
 * tells the caller to take the plain float average instead: today's bits exactly.
 *
 * @param lr the outer learning rate, in (0, {@link #MAX_LR}]
 * @param momentum in [0, 1)
 * @param nesterov Nesterov momentum; no effect at momentum 0
 */
public record OuterSgd(double lr, double momentum, boolean nesterov) implements java.io.Serializable {
  /** Outer learning rates above this extrapolate the workers' change beyond any published use: refused as a typo. */
  public static final double MAX_LR = 10;

  public OuterSgd {
    if (!(lr > 0 && lr <= MAX_LR)) {
      throw new IllegalArgumentException("the outer learning rate must be in (0, " + (int) MAX_LR + "], got " + lr
          + " (--outer-lr; 1 = the workers' average, the DiLoCo preset uses 0.7)");
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("the outer momentum must be in [0, 1), got " + momentum
          + " (--outer-momentum; 0 = none, BMUF uses 1 - 1/W, DiLoCo 0.9)");
    }
    nesterov = nesterov && momentum > 0;
  }

  /** lr 1 and no momentum: the round's result is the workers' average, taken as today's float average. */
  public boolean isAverage() {
    return lr == 1 && momentum == 0;
  }

  /** Floats of outer state the driver keeps: the momentum buffer over the trainable prefix, or none. */
  public int stateSize(int trainable) {
    return momentum > 0 ? trainable : 0;
  }

  /** The parameters after a round and the outer momentum buffer to carry (empty without momentum). */
  public record Step(float[] params, float[] buffer) {}

  /**
   * One outer step from {@code start} (the round's parameters) and {@code sum} (the workers'
   * results, at least one example), over the first {@code trainable} values; {@code buffer} is
   * {@link #stateSize} floats (zero before the first step) and is not changed.
   */
  public Step step(float[] start, ParamSum sum, float[] buffer, int trainable) {
    if (buffer.length != stateSize(trainable)) {
      throw new IllegalStateException("outer state of " + buffer.length + " floats, expected " + stateSize(trainable));
    }
    float[] params = new float[start.length];
    float[] next = new float[buffer.length];
    step(start, sum::meanParam, buffer, trainable, 0, start.length, params, next);
    return new Step(params, next);
  }

  /**
   * The step over parameters [from, to) only, the piece a shard's reducer owns: {@code mean(i)} is
   * the workers' mean of parameter i; writes params[i - from] and, below {@code trainable} when
   * there is momentum, next[i - from]. The same arithmetic as the whole step, value by value.
   */
  public void step(float[] start, IntToDoubleFunction mean, float[] buffer, int trainable, int from, int to,
      float[] params, float[] next) {
    for (int i = from; i < to; i++) {
      if (i >= trainable) {
        params[i - from] = (float) mean.applyAsDouble(i);
        continue;
      }
      double d = start[i] - mean.applyAsDouble(i); // the pseudo-gradient
      double g = d;
      if (momentum > 0) {
        double buf = momentum * buffer[i] + d;
        next[i - from] = (float) buf;
        g = nesterov ? d + momentum * buf : buf;
      }
      params[i - from] = (float) (start[i] - lr * g);
    }
  }

  /** "lr 0.7, momentum 0.9, Nesterov": for provenance and logs. */
  public String describe() {
    return "lr " + lr + ", momentum " + momentum + (nesterov ? ", Nesterov" : "");
  }
}
