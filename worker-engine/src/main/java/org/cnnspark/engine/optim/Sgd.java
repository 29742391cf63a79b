package org.cnnspark.engine.optim;

import java.nio.FloatBuffer;

/**
 * torch.optim.SGD (dampening 0): g = grad + wd * p; buf = momentum * buf + g; g = g + momentum * buf
 * (Nesterov) or buf; p -= lr * g. PyTorch starts buf at g on the first step; with zero dampening
 * that equals the recurrence from buf = 0, so a zero state means "no history".
 */
public final class Sgd extends Optimizer {

  Sgd(OptimizerConfig config, int size) {
    super(config, size);
  }

  @Override
  public void step(FloatBuffer params, FloatBuffer grads) {
    float lr = (float) config.lr();
    float wd = (float) config.weightDecay();
    float mom = (float) config.momentum();
    boolean nesterov = config.nesterov();
    for (int i = 0; i < size; i++) {
      float p = params.get(i);
      float g = grads.get(i);
      if (wd != 0f) {
        g += wd * p;
      }
      if (mom != 0f) {
        float buf = mom * state.get(i) + g;
        state.put(i, buf);
        g = nesterov ? g + mom * buf : buf;
      }
      params.put(i, p - lr * g);
    }
    steps++;
  }
}
