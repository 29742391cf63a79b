package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.ArrayOps;

/**
 * y = max(x, 0); dx = dy where y > 0 (PyTorch's rule: zero gradient at 0). Any shape.
 * After a convolution the network fuses it into the convolution's epilogue (see Conv2d).
 */
public final class ReLU extends Layer {
  private static final int TILE = 4096;
  private float[] a;
  private float[] b;

  @Override
  public String spec() {
    return "relu";
  }

  @Override
  public Shape outputShape(Shape in) {
    return in;
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    if (fused) {
      return x;
    }
    FloatBuffer y = outBuffer(n);
    a = tile(a, TILE);
    int len = n * in.size();
    for (int off = 0; off < len; off += TILE) {
      int m = Math.min(TILE, len - off);
      x.get(off, a, 0, m);
      ArrayOps.relu(a, m);
      y.put(off, a, 0, m);
    }
    return y;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    if (!needDx) {
      return null;
    }
    if (fused) {
      return dy;
    }
    FloatBuffer dx = dxBuffer(n);
    a = tile(a, TILE);
    b = tile(b, TILE);
    int len = n * in.size();
    for (int off = 0; off < len; off += TILE) {
      int m = Math.min(TILE, len - off);
      y.get(off, a, 0, m);
      dy.get(off, b, 0, m);
      ArrayOps.reluGradient(a, b, m);
      dx.put(off, b, 0, m);
    }
    return dx;
  }
}
