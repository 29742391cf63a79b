package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import org.cnnspark.engine.Shape;

/**
 * Max or average pooling, as {@code nn.MaxPool2d(K, stride, padding)} and
 * {@code nn.AvgPool2d(K, stride, padding)} (count_include_pad=True, floor mode).
 * x is (N, C, H, W), y is (N, C, HO, WO), HO = floor((H + 2P - K) / S) + 1.
 * Max pooling remembers the argmax of each window (first maximum, as PyTorch) for backward;
 * padded cells never win. Planes are processed as heap tiles. Average pooling divides by K*K, padded cells counting as zeros.
 */
public final class Pool2d extends Layer {
  private final boolean max;
  private final int kernel;
  private final int stride;
  private final int pad;
  /** Per input plane: window argmax as an index into that plane. */
  private int[] argmax;
  private float[] xt;
  private float[] yt;

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
    xt = tile(xt, h * w);
    yt = tile(yt, ho * wo);
    float inv = 1f / (kernel * kernel);
    for (int pl = 0; pl < planes; pl++) {
      x.get(pl * h * w, xt, 0, h * w);
      if (max && kernel == 2 && stride == 2 && pad == 0) {
        max2x2(xt, w, ho, wo, yt, argmax, pl * ho * wo);
        y.put(pl * ho * wo, yt, 0, ho * wo);
        continue;
      }
      int o = 0;
      for (int i = 0; i < ho; i++) {
        int i0 = Math.max(i * stride - pad, 0);
        int i1 = Math.min(i * stride - pad + kernel, h);
        for (int j = 0; j < wo; j++, o++) {
          int j0 = Math.max(j * stride - pad, 0);
          int j1 = Math.min(j * stride - pad + kernel, w);
          if (max && kernel == 3 && i1 - i0 == 3 && j1 - j0 == 3) {
            window3x3(xt, i0 * w + j0, w, yt, o, argmax, pl * ho * wo + o);
          } else if (max) {
            int best = i0 * w + j0;
            float m = xt[best];
            for (int a = i0; a < i1; a++) {
              for (int b = j0; b < j1; b++) {
                float v = xt[a * w + b];
                // strict: the first maximum wins, as in PyTorch; an int select and Math.max
                // compile without branches, a float select to one mispredicted half the time
                best = v > m ? a * w + b : best;
                m = Math.max(m, v);
              }
            }
            argmax[pl * ho * wo + o] = best;
            yt[o] = m;
          } else {
            float s = 0f;
            for (int a = i0; a < i1; a++) {
              for (int b = j0; b < j1; b++) {
                s += xt[a * w + b];
              }
            }
            yt[o] = s * inv;
          }
        }
      }
      y.put(pl * ho * wo, yt, 0, ho * wo);
    }
    return y;
  }

  /**
   * A whole 3x3 window at p (a ResNet stem's max pool), unrolled: the general loop's comparisons in
   * its order, so the same maximum and index.
   */
  private static void window3x3(float[] xt, int p, int w, float[] yt, int o, int[] arg, int ao) {
    int best = p;
    float m = xt[p];
    for (int r = 0, q = p; r < 3; r++, q += w) {
      float v0 = xt[q];
      float v1 = xt[q + 1];
      float v2 = xt[q + 2];
      best = v0 > m ? q : best;
      m = Math.max(m, v0);
      best = v1 > m ? q + 1 : best;
      m = Math.max(m, v1);
      best = v2 > m ? q + 2 : best;
      m = Math.max(m, v2);
    }
    arg[ao] = best;
    yt[o] = m;
  }

  /**
   * The common 2x2 stride-2 window of one plane, unrolled and without branches (Math.max and
   * integer conditional moves: on activations "v > m" is a coin toss).
   */
  private static void max2x2(float[] xt, int w, int ho, int wo, float[] yt, int[] arg, int a) {
    int o = 0;
    for (int i = 0; i < ho; i++) {
      for (int j = 0; j < wo; j++, o++) {
        int i0 = 2 * i * w + 2 * j;
        int i2 = i0 + w;
        float v0 = xt[i0];
        float v1 = xt[i0 + 1];
        float v2 = xt[i2];
        float v3 = xt[i2 + 1];
        // the first maximum in row-major order wins ties, as in PyTorch
        float m01 = Math.max(v0, v1);
        float m23 = Math.max(v2, v3);
        int a01 = v1 > v0 ? i0 + 1 : i0;
        int a23 = v3 > v2 ? i2 + 1 : i2;
        boolean lower = m23 > m01;
        // not "lower ? m23 : m01": C2 compiles a float select on x86 as a branch, mispredicted
        // half the time here; Math.max is branch-free (and, like PyTorch, propagates NaN)
        yt[o] = Math.max(m01, m23);
        arg[a + o] = lower ? a23 : a01;
      }
    }
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
    int h = in.h();
    int w = in.w();
    int ho = out.h();
    int wo = out.w();
    xt = tile(xt, h * w);
    yt = tile(yt, ho * wo);
    float inv = 1f / (kernel * kernel);
    for (int pl = 0; pl < n * in.c(); pl++) {
      java.util.Arrays.fill(xt, 0, h * w, 0f);
      dy.get(pl * ho * wo, yt, 0, ho * wo);
      int o = 0;
      for (int i = 0; i < ho; i++) {
        int i0 = Math.max(i * stride - pad, 0);
        int i1 = Math.min(i * stride - pad + kernel, h);
        for (int j = 0; j < wo; j++, o++) {
          if (max) {
            xt[argmax[pl * ho * wo + o]] += yt[o];
            continue;
          }
          int j0 = Math.max(j * stride - pad, 0);
          int j1 = Math.min(j * stride - pad + kernel, w);
          float g = yt[o] * inv;
          for (int a = i0; a < i1; a++) {
            for (int b = j0; b < j1; b++) {
              xt[a * w + b] += g;
            }
          }
        }
      }
      dx.put(pl * h * w, xt, 0, h * w);
    }
    return dx;
  }
}
