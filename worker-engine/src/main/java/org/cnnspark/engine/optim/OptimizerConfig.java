package org.cnnspark.engine.optim;

import java.util.Locale;

/**
 * Optimizer settings, PyTorch's names and defaults: SGD(lr, momentum=0, nesterov=False,
 * weight_decay=0) and Adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0).
 */
public record OptimizerConfig(String type, double lr, double momentum, boolean nesterov, double weightDecay,
                              double beta1, double beta2, double eps) implements java.io.Serializable {

  public OptimizerConfig {
    type = type.toLowerCase(Locale.ROOT);
    if (!type.equals("sgd") && !type.equals("adam")) {
      throw new IllegalArgumentException("unknown optimizer '" + type + "': use sgd or adam");
    }
    check(lr > 0 && Double.isFinite(lr), "learning rate must be > 0, got " + lr);
    check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got " + momentum);
    check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
    check(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0");
    check(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
    check(eps > 0, "Adam eps must be > 0, got " + eps);
  }

  private static void check(boolean ok, String msg) {
    if (!ok) {
      throw new IllegalArgumentException(msg);
    }
  }

  public static OptimizerConfig sgd(double lr, double momentum, boolean nesterov, double weightDecay) {
    return new OptimizerConfig("sgd", lr, momentum, nesterov, weightDecay, 0.9, 0.999, 1e-8);
  }

  public static OptimizerConfig adam(double lr, double beta1, double beta2, double eps, double weightDecay) {
    return new OptimizerConfig("adam", lr, 0, false, weightDecay, beta1, beta2, eps);
  }

  /** Floats of optimizer state per trainable parameter. */
  public int stateFloatsPerParam() {
    return type.equals("adam") ? 2 : (momentum > 0 ? 1 : 0);
  }

  public Optimizer create(int trainableSize) {
    return type.equals("adam") ? new Adam(this, trainableSize) : new Sgd(this, trainableSize);
  }
}
