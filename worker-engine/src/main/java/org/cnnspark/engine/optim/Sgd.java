package org.cnnspark.engine.optim;

import java.nio.FloatBuffer;
import org.cnnspark.engine.optim.OptimizerConfig.Setting;

/**
 * torch.optim.SGD (dampening 0): g = grad + wd * p; buf = momentum * buf + g; g = g + momentum * buf
 * (Nesterov) or buf; p -= lr * g. PyTorch starts buf at g on the first step; with zero dampening
 * that equals the recurrence from buf = 0, so a zero state means "no history".
 */
public final class Sgd extends Optimizer {
  /** Defaults lr 0.01 and momentum 0.9 (PyTorch's is 0); one state float per parameter with momentum, none without. */
  public static final OptimizerType TYPE = new OptimizerType("sgd", Setting.LR, Setting.MOMENTUM, Setting.NESTEROV,
      Setting.WEIGHT_DECAY) {
    @Override
    public OptimizerConfig defaults() {
      return OptimizerConfig.sgd(0.01, 0.9, false, 0);
    }

    @Override
    public int stateFloatsPerParam(OptimizerConfig config) {
      return config.momentum() > 0 ? 1 : 0;
    }

    @Override
    public Optimizer create(OptimizerConfig config, int size) {
      return new Sgd(config, size);
    }
  };

  private final float[] p = new float[TILE];
  private final float[] g = new float[TILE];
  private final float[] m = new float[TILE];

  private Sgd(OptimizerConfig config, int size) {
    super(config, size);
  }

  @Override
  protected void update(FloatBuffer params, FloatBuffer grads, int from, int to) {
    float lr = (float) lr();
    float wd = (float) config.weightDecay();
    float mom = (float) config.momentum();
    boolean nesterov = config.nesterov();
    for (int off = from; off < to; off += TILE) {
      int n = Math.min(TILE, to - off);
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
  }
}
