package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Shape;

/** y = max(x, 0); dx = dy where y > 0 (PyTorch's rule: zero gradient at 0). Any shape. */
public final class ReLU extends Layer {

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
    int len = n * in.size();
    for (int i = 0; i < len; i++) {
      float v = x.get(i);
      y.put(i, v > 0f ? v : 0f);
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
    int len = n * in.size();
    for (int i = 0; i < len; i++) {
      dx.put(i, y.get(i) > 0f ? dy.get(i) : 0f);
    }
    return dx;
  }
}
