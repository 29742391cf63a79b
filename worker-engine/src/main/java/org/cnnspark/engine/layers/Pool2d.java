package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Shape;

/**
 * Max or average pooling, as {@code nn.MaxPool2d(K, stride, padding)} and
 * {@code nn.AvgPool2d(K, stride, padding)} (count_include_pad=True, floor mode).
 * x is (N, C, H, W), y is (N, C, HO, WO), HO = floor((H + 2P - K) / S) + 1.
 * Max pooling remembers the argmax of each window (first maximum, as PyTorch) for backward;
 * padded cells never win. Average pooling divides by K*K, padded cells counting as zeros.
 */
public final class Pool2d extends Layer {
  private final boolean max;
  private final int kernel;
  private final int stride;
  private final int pad;
  private int[] argmax;

  public Pool2d(boolean max, int kernel, int stride, int pad) {
    String name = max ? "maxpool" : "avgpool";
    if (kernel <= 0 || stride <= 0 || pad < 0 || pad > kernel / 2) {
      throw new IllegalArgumentException(name + " needs kernel>0, stride>0 and 0<=pad<=kernel/2; got "
          + name + "(" + kernel + ",stride=" + stride + ",pad=" + pad + ")");
    }
    this.max = max;
    this.kernel = kernel;
    this.stride = stride;
    this.pad = pad;
  }

  /** A convolution can take this pool over: max pooling without padding. */
  public boolean fusable() {
    return max && pad == 0;
  }

  public int kernel() {
    return kernel;
  }

  public int stride() {
    return stride;
  }

  @Override
  public String spec() {
    StringBuilder sb = new StringBuilder(max ? "maxpool(" : "avgpool(").append(kernel);
    if (stride != kernel) {
      sb.append(",stride=").append(stride);
    }
    if (pad != 0) {
      sb.append(",pad=").append(pad);
    }
    return sb.append(')').toString();
  }

  @Override
  public Shape outputShape(Shape in) {
    int ho = Math.floorDiv(in.h() + 2 * pad - kernel, stride) + 1;
    int wo = Math.floorDiv(in.w() + 2 * pad - kernel, stride) + 1;
    if (ho <= 0 || wo <= 0) {
      throw new IllegalArgumentException(spec() + " on input " + in + " gives an empty output (" + ho + "x" + wo + ")");
    }
    return new Shape(in.c(), ho, wo);
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    if (fused) {
      return x;
    }
    FloatBuffer y = outBuffer(n);
    int h = in.h();
    int w = in.w();
    int ho = out.h();
    int wo = out.w();
    int planes = n * in.c();
    if (max && (argmax == null || argmax.length < planes * ho * wo)) {
      argmax = new int[planes * ho * wo];
    }
    float inv = 1f / (kernel * kernel);
    int o = 0;
    for (int pl = 0; pl < planes; pl++) {
      int base = pl * h * w;
      for (int i = 0; i < ho; i++) {
        int i0 = Math.max(i * stride - pad, 0);
        int i1 = Math.min(i * stride - pad + kernel, h);
        for (int j = 0; j < wo; j++, o++) {
          int j0 = Math.max(j * stride - pad, 0);
          int j1 = Math.min(j * stride - pad + kernel, w);
          if (max) {
            int best = base + i0 * w + j0;
            float m = x.get(best);
            for (int a = i0; a < i1; a++) {
              for (int b = j0; b < j1; b++) {
                int k = base + a * w + b;
                float v = x.get(k);
                if (v > m || Float.isNaN(v)) { // NaN propagates, as in PyTorch
                  m = v;
                  best = k;
                }
              }
            }
            argmax[o] = best;
            y.put(o, m);
          } else {
            float s = 0f;
            for (int a = i0; a < i1; a++) {
              for (int b = j0; b < j1; b++) {
                s += x.get(base + a * w + b);
              }
            }
            y.put(o, s * inv);
          }
        }
      }
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
    org.cnnspark.engine.Buffers.zero(dx, 0, n * in.size());
    int outLen = n * out.size();
    if (max) {
      for (int o = 0; o < outLen; o++) {
        int k = argmax[o];
        dx.put(k, dx.get(k) + dy.get(o));
      }
      return dx;
    }
    int h = in.h();
    int w = in.w();
    int ho = out.h();
    int wo = out.w();
    float inv = 1f / (kernel * kernel);
    int o = 0;
    for (int pl = 0; pl < n * in.c(); pl++) {
      int base = pl * h * w;
      for (int i = 0; i < ho; i++) {
        int i0 = Math.max(i * stride - pad, 0);
        int i1 = Math.min(i * stride - pad + kernel, h);
        for (int j = 0; j < wo; j++, o++) {
          int j0 = Math.max(j * stride - pad, 0);
          int j1 = Math.min(j * stride - pad + kernel, w);
          float g = dy.get(o) * inv;
          for (int a = i0; a < i1; a++) {
            for (int b = j0; b < j1; b++) {
              int k = base + a * w + b;
              dx.put(k, dx.get(k) + g);
            }
          }
        }
      }
    }
    return dx;
  }
}
