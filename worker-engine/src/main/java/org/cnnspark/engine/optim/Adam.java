package org.cnnspark.engine.optim;

import java.nio.FloatBuffer;

/**
 * torch.optim.Adam (amsgrad off, L2 weight decay): t += 1; g = grad + wd * p;
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * State layout: m in [0, P), v in [P, 2P). Bias corrections in double, tensors in float, as PyTorch.
 */
public final class Adam extends Optimizer {

  Adam(OptimizerConfig config, int size) {
    super(config, size);
  }

  @Override
  public void step(FloatBuffer params, FloatBuffer grads) {
    steps++;
    float b1 = (float) config.beta1();
    float b2 = (float) config.beta2();
    float wd = (float) config.weightDecay();
    float eps = (float) config.eps();
    float a1 = (float) (1 - config.beta1());
    float a2 = (float) (1 - config.beta2());
    double bc1 = 1 - Math.pow(config.beta1(), steps);
    float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(config.beta2(), steps));
    float stepSize = (float) (config.lr() / bc1);
    for (int i = 0; i < size; i++) {
      float p = params.get(i);
      float g = grads.get(i);
      if (wd != 0f) {
        g += wd * p;
      }
      float m = state.get(i) * b1 + g * a1;
      float v = state.get(size + i) * b2 + a2 * g * g;
      state.put(i, m);
      state.put(size + i, v);
      float denom = (float) Math.sqrt(v) / bc2Sqrt + eps;
      params.put(i, p - stepSize * m / denom);
    }
  }
}
