package org.cnnspark.engine;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Pixel preprocessing: x = (p / 255 - mean[c]) / std[c], as torchvision's ToTensor followed by
 * an optional Normalize. The default (no mean/std) is ToTensor alone.
 */
public record Normalization(float[] mean, float[] std) {
  public static final Normalization SCALE_ONLY = new Normalization(null, null);

  public Normalization {
    if ((mean == null) != (std == null) || (mean != null && mean.length != std.length)) {
      throw new IllegalArgumentException("normalisation needs one mean and one std per channel");
    }
    if (std != null) {
      for (float s : std) {
        if (!(s > 0)) {
          throw new IllegalArgumentException("normalisation std must be > 0, got " + Arrays.toString(std));
        }
      }
    }
  }

  /** Converts n images of shape s (uint8, NCHW) starting at image {@code first} into x. */
  public void apply(byte[] pixels, int first, int n, Shape s, FloatBuffer x) {
    int size = s.size();
    int hw = s.h() * s.w();
    if (mean != null && mean.length != s.c()) {
      throw new IllegalArgumentException("normalisation has " + mean.length + " channels, input has " + s.c());
    }
    int src = first * size;
    for (int i = 0; i < n * size; i++) {
      float v = (pixels[src + i] & 0xff) / 255f;
      if (mean != null) {
        int c = (i % size) / hw;
        v = (v - mean[c]) / std[c];
      }
      x.put(i, v);
    }
  }
}
