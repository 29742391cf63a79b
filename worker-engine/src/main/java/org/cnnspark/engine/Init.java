package org.cnnspark.engine;

import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.SplittableRandom;
import org.cnnspark.engine.layers.ParamDef;

/**
 * Weight initialisation schemes. PYTORCH is what nn.Conv2d / nn.Linear do by default:
 * kaiming_uniform(a=sqrt(5)) for weights, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same
 * bound for biases. XAVIER is glorot uniform, HE is kaiming normal (fan_in, ReLU gain); both
 * start biases at zero. The draw is our own seeded generator, not PyTorch's: same distribution,
 * not the same numbers (import a PyTorch state_dict to start from identical weights).
 */
public enum Init {
  PYTORCH, XAVIER, HE;

  public static Init parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown init '" + s + "': use pytorch, xavier or he");
    }
  }

  /** Fills one tensor; {@code rng} is private to this tensor so the result depends only on the seed. */
  void fill(ParamDef def, FloatBuffer buf, int off, SplittableRandom rng) {
    int n = def.size();
    switch (def.init()) {
      case ZEROS -> fillConst(buf, off, n, 0f);
      case ONES -> fillConst(buf, off, n, 1f);
      case WEIGHT -> {
        switch (this) {
          case PYTORCH -> uniform(buf, off, n, 1.0 / Math.sqrt(def.fanIn()), rng);
          case XAVIER -> uniform(buf, off, n, Math.sqrt(6.0 / (def.fanIn() + def.fanOut())), rng);
          case HE -> {
            double std = Math.sqrt(2.0 / def.fanIn());
            for (int i = 0; i < n; i++) {
              buf.put(off + i, (float) (rng.nextGaussian() * std));
            }
          }
        }
      }
      case BIAS -> {
        if (this == PYTORCH) {
          uniform(buf, off, n, 1.0 / Math.sqrt(def.fanIn()), rng);
        } else {
          fillConst(buf, off, n, 0f);
        }
      }
    }
  }

  private static void uniform(FloatBuffer buf, int off, int n, double bound, SplittableRandom rng) {
    for (int i = 0; i < n; i++) {
      buf.put(off + i, (float) ((rng.nextDouble() * 2 - 1) * bound));
    }
  }

  private static void fillConst(FloatBuffer buf, int off, int n, float v) {
    for (int i = 0; i < n; i++) {
      buf.put(off + i, v);
    }
  }
}
