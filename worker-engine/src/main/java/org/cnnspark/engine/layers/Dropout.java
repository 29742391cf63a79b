package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.cnnspark.engine.Shape;

/**
 * Inverted dropout, as {@code nn.Dropout(p)}: in training y = x * mask / (1 - p) with
 * mask ~ Bernoulli(1 - p); in eval y = x. The mask comes from the seed the network passes in
 * before each forward, so a step is reproducible whatever thread runs it.
 */
public final class Dropout extends Layer {
  private final double p;
  private long seed;
  private boolean[] keep;
  private boolean lastTraining;

  public Dropout(double p) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout probability must be in [0, 1), got dropout(" + p + ")");
    }
    this.p = p;
  }

  @Override
  public String spec() {
    return "dropout(" + p + ")";
  }

  @Override
  public Shape outputShape(Shape in) {
    return in;
  }

  @Override
  public void seed(long seed) {
    this.seed = seed;
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    lastTraining = training && p > 0;
    if (!lastTraining) {
      return x;
    }
    FloatBuffer y = outBuffer(n);
    int len = n * in.size();
    if (keep == null || keep.length < len) {
      keep = new boolean[len];
    }
    SplittableRandom rng = new SplittableRandom(seed);
    float scale = (float) (1.0 / (1.0 - p));
    for (int i = 0; i < len; i++) {
      keep[i] = rng.nextDouble() >= p;
      y.put(i, keep[i] ? x.get(i) * scale : 0f);
    }
    return y;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    if (!needDx) {
      return null;
    }
    if (!lastTraining) {
      return dy;
    }
    FloatBuffer dx = dxBuffer(n);
    float scale = (float) (1.0 / (1.0 - p));
    int len = n * in.size();
    for (int i = 0; i < len; i++) {
      dx.put(i, keep[i] ? dy.get(i) * scale : 0f);
    }
    return dx;
  }
}
