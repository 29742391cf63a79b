package org.cnnspark.driver.train;

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
public record OuterSgd(double lr, double momentum, boolean nesterov) {
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
    for (int i = 0; i < trainable; i++) {
      double d = start[i] - sum.meanParam(i); // the pseudo-gradient
      double g = d;
      if (momentum > 0) {
        double buf = momentum * buffer[i] + d;
        next[i] = (float) buf;
        g = nesterov ? d + momentum * buf : buf;
      }
      params[i] = (float) (start[i] - lr * g);
    }
    for (int i = trainable; i < params.length; i++) {
      params[i] = (float) sum.meanParam(i);
    }
    return new Step(params, next);
  }

  /** "lr 0.7, momentum 0.9, Nesterov": for provenance and logs. */
  public String describe() {
    return "lr " + lr + ", momentum " + momentum + (nesterov ? ", Nesterov" : "");
  }
}
