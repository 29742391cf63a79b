package org.cnnspark.engine.optim;

import org.cnnspark.engine.optim.OptimizerConfig.Setting;

/**
 * torch.optim.AdamW (amsgrad off): Adam with decoupled weight decay. Each step first shrinks the
 * weights, p *= 1 - lr * wd, then takes Adam's step on the bare gradient (no wd * p added to it),
 * so the decay does not pass through the moments and is not rescaled by them. State as Adam's.
 */
public final class AdamW extends Adam {
  /** PyTorch's defaults: lr 0.001, betas (0.9, 0.999), eps 1e-8, weight decay 0.01; two state floats per parameter. */
  public static final OptimizerType TYPE = new OptimizerType("adamw", Setting.LR, Setting.BETAS, Setting.EPS,
      Setting.WEIGHT_DECAY) {
    @Override
    public OptimizerConfig defaults() {
      return OptimizerConfig.adamw(0.001, 0.9, 0.999, 1e-8, 0.01);
    }

    @Override
    public int stateFloatsPerParam(OptimizerConfig config) {
      return 2;
    }

    @Override
    public Optimizer create(OptimizerConfig config, int size) {
      return new AdamW(config, size);
    }
  };

  private AdamW(OptimizerConfig config, int size) {
    super(config, size);
  }

  @Override
  protected float gradientDecay() {
    return 0f;
  }

  @Override
  protected void decayWeights(float[] params, int n) {
    // 1 - lr * wd with the step's lr (a scheduled one too, as PyTorch's param.mul_(1 - lr * weight_decay)),
    // in double then rounded to float
    float shrink = (float) (1 - lr() * config.weightDecay());
    for (int i = 0; i < n; i++) {
      params[i] *= shrink;
    }
  }
}
