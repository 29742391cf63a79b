package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Shape;

/** (N, C, H, W) -> (N, C*H*W) in C-H-W order, like {@code torch.flatten(x, 1)}: a view, no copy. */
public final class Flatten extends Layer {

  @Override
  public String spec() {
    return "flatten";
  }

  @Override
  public Shape outputShape(Shape in) {
    return Shape.vector(in.size());
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    return x;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    return needDx ? dy : null;
  }
}
