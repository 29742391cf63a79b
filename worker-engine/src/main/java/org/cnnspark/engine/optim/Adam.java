package org.cnnspark.engine.optim;

import java.nio.FloatBuffer;
import org.cnnspark.engine.optim.OptimizerConfig.Setting;

/**
 * torch.optim.Adam (amsgrad off, L2 weight decay): t += 1; g = grad + wd * p;
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * State layout: m in [0, P), v in [P, 2P). Bias corrections in double, tensors in float, as PyTorch.
 * {@link AdamW} changes where the weight decay goes, through {@link #gradientDecay} and {@link #decayWeights}.
 */
public class Adam extends Optimizer {
  /** PyTorch's defaults: lr 0.001, betas (0.9, 0.999), eps 1e-8, no weight decay; two state floats per parameter. */
  public static final OptimizerType TYPE = new OptimizerType("adam", Setting.LR, Setting.BETAS, Setting.EPS,
      Setting.WEIGHT_DECAY) {
    @Override
    public OptimizerConfig defaults() {
      return OptimizerConfig.adam(0.001, 0.9, 0.999, 1e-8, 0);
    }

    @Override
    public int stateFloatsPerParam(OptimizerConfig config) {
      return 2;
    }

    @Override
    public Optimizer create(OptimizerConfig config, int size) {
      return new Adam(config, size);
    }
  };

  private final float[] p = new float[TILE];
  private final float[] g = new float[TILE];
  private final float[] m = new float[TILE];
  private final float[] v = new float[TILE];

  protected Adam(OptimizerConfig config, int size) {
    super(config, size);
  }

  /** The weight decay added to the gradient: Adam's L2 rule. */
  protected float gradientDecay() {
    return (float) config.weightDecay();
  }

  /** Applied to a tile of parameters before its update; Adam has nothing to do here. */
  protected void decayWeights(float[] params, int n) {}

  @Override
  protected void update(FloatBuffer params, FloatBuffer grads, int from, int to) {
    long t = steps + 1;
    float b1 = (float) config.beta1();
    float b2 = (float) config.beta2();
    float a1 = (float) (1 - config.beta1());
    float a2 = (float) (1 - config.beta2());
    float wd = gradientDecay();
    float eps = (float) config.eps();
    double bc1 = 1 - Math.pow(config.beta1(), t);
    float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(config.beta2(), t));
    float stepSize = (float) (lr() / bc1);
    for (int off = from; off < to; off += TILE) {
      int n = Math.min(TILE, to - off);
      params.get(off, p, 0, n);
      decayWeights(p, n);
      grads.get(off, g, 0, n);
      state.get(off, m, 0, n);
      state.get(size + off, v, 0, n);
      for (int i = 0; i < n; i++) {
        float gi = wd != 0f ? g[i] + wd * p[i] : g[i];
        m[i] = m[i] * b1 + gi * a1;
        v[i] = v[i] * b2 + a2 * gi * gi;
        float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + eps;
        p[i] -= stepSize * m[i] / denom;
      }
      params.put(off, p, 0, n);
      state.put(off, m, 0, n);
      state.put(size + off, v, 0, n);
    }
  }
}
