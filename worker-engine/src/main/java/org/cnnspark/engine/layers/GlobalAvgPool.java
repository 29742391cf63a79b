package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Shape;

/**
 * (N, C, H, W) -> (N, C, 1, 1): the mean of each plane, PyTorch's {@code AdaptiveAvgPool2d(1)}
 * (the pooling before a ResNet's head). Backward spreads dy / (H W) over the plane.
 */
public final class GlobalAvgPool extends Layer {
  private float[] plane;

  @Override
  public String spec() {
    return "gap";
  }

  @Override
  public Shape outputShape(Shape in) {
    return new Shape(in.c(), 1, 1);
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    this.x = x;
    FloatBuffer y = outBuffer(n);
    int hw = in.h() * in.w();
    plane = tile(plane, hw);
    int planes = n * in.c();
    for (int p = 0; p < planes; p++) {
      x.get(p * hw, plane, 0, hw);
      double s = 0;
      for (int i = 0; i < hw; i++) {
        s += plane[i];
      }
      y.put(p, (float) (s / hw));
    }
    return y;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    if (!needDx) {
      return null;
    }
    FloatBuffer dx = dxBuffer(n);
    int hw = in.h() * in.w();
    plane = tile(plane, hw);
    int planes = n * in.c();
    for (int p = 0; p < planes; p++) {
      java.util.Arrays.fill(plane, 0, hw, dy.get(p) / hw);
      dx.put(p * hw, plane, 0, hw);
    }
    return dx;
  }
}
