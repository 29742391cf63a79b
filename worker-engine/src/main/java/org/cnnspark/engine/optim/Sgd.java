package org.cnnspark.engine.optim;

import java.nio.FloatBuffer;

/**
 * torch.optim.SGD (dampening 0): g = grad + wd * p; buf = momentum * buf + g; g = g + momentum * buf
 * (Nesterov) or buf; p -= lr * g. PyTorch starts buf at g on the first step; with zero dampening
 * that equals the recurrence from buf = 0, so a zero state means "no history".
 */
public final class Sgd extends Optimizer {
  private final float[] p = new float[TILE];
  private final float[] g = new float[TILE];
  private final float[] m = new float[TILE];

  Sgd(OptimizerConfig config, int size) {
    super(config, size);
  }

  @Override
  public void step(FloatBuffer params, FloatBuffer grads) {
    float lr = (float) config.lr();
    float wd = (float) config.weightDecay();
    float mom = (float) config.momentum();
    boolean nesterov = config.nesterov();
    for (int off = 0; off < size; off += TILE) {
      int n = Math.min(TILE, size - off);
      params.get(off, p, 0, n);
      grads.get(off, g, 0, n);
      if (wd != 0f) {
        for (int i = 0; i < n; i++) {
          g[i] += wd * p[i];
        }
      }
      if (mom != 0f) {
        state.get(off, m, 0, n);
        for (int i = 0; i < n; i++) {
          m[i] = mom * m[i] + g[i];
        }
        state.put(off, m, 0, n);
        if (nesterov) {
          for (int i = 0; i < n; i++) {
            g[i] += mom * m[i];
          }
        } else {
          System.arraycopy(m, 0, g, 0, n);
        }
      }
      for (int i = 0; i < n; i++) {
        p[i] -= lr * g[i];
      }
      params.put(off, p, 0, n);
    }
    steps++;
  }
}
