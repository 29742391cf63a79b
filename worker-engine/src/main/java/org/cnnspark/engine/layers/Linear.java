package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Shape;

/**
 * Fully connected layer, as {@code nn.Linear(in, out, bias)}.
 * x is (N, IN) (a flattened C*H*W), weight is (OUT, IN), bias is (OUT), y is (N, OUT).
 */
public final class Linear extends Layer {
  private final int outFeatures;
  private final boolean hasBias;
  /** Where weight and bias start in params and grads (bias: -1 without one). */
  private int weight;
  private int bias = -1;

  public Linear(int outFeatures, boolean bias) {
    if (outFeatures <= 0) {
      throw new IllegalArgumentException("dense needs out > 0, got dense(" + outFeatures + ")");
    }
    this.outFeatures = outFeatures;
    this.hasBias = bias;
  }

  @Override
  public String spec() {
    return "dense(" + outFeatures + (hasBias ? "" : ",bias=false") + ")";
  }

  @Override
  public String family() {
    return "fc";
  }

  @Override
  public Shape outputShape(Shape in) {
    if (!in.isVector()) {
      throw new IllegalArgumentException(spec() + " needs a flat input but gets " + in + ": put 'flatten' before it");
    }
    return Shape.vector(outFeatures);
  }

  @Override
  public List<ParamDef> params(Shape in) {
    int fanIn = in.size();
    List<ParamDef> p = new ArrayList<>();
    p.add(new ParamDef("weight", new int[] {outFeatures, fanIn}, true, ParamDef.Init.WEIGHT, fanIn, outFeatures));
    if (hasBias) {
      p.add(new ParamDef("bias", new int[] {outFeatures}, true, ParamDef.Init.BIAS, fanIn, outFeatures));
    }
    return p;
  }

  @Override
  protected void bound(Map<String, Integer> offsets) {
    weight = offsets.get("weight");
    bias = hasBias ? offsets.get("bias") : -1;
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    this.x = x;
    FloatBuffer y = outBuffer(n);
    int k = in.size();
    int o = outFeatures;
    if (hasBias) {
      for (int i = 0; i < n; i++) {
        y.put(i * o, params, bias, o);
      }
    }
    // y (N, OUT) = x (N, IN) * weight^T (IN, OUT) [+ bias]
    gemm.sgemm(false, true, n, o, k, 1f, x, 0, k, params, weight, k, hasBias ? 1f : 0f, y, 0, o);
    return y;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    int k = in.size();
    int o = outFeatures;
    // dWeight (OUT, IN) += dy^T (OUT, N) * x (N, IN)
    gemm.sgemm(true, false, o, k, n, 1f, dy, 0, o, x, 0, k, 1f, grads, weight, k);
    if (hasBias) {
      // dBias (OUT) += the sum of dy over the batch, in double
      for (int j = 0; j < o; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
          s += dy.get(i * o + j);
        }
        grads.put(bias + j, grads.get(bias + j) + (float) s);
      }
    }
    if (!needDx) {
      return null;
    }
    FloatBuffer dx = dxBuffer(n);
    // dx (N, IN) = dy (N, OUT) * weight (OUT, IN)
    gemm.sgemm(false, false, n, k, o, 1f, dy, 0, o, params, weight, k, 0f, dx, 0, k);
    return dx;
  }
}
