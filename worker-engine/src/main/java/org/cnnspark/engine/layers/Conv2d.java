package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Shape;

/**
 * 2-D convolution, as {@code nn.Conv2d(C, OC, K, stride, padding, bias)}.
 * x is (N, C, H, W), weight is (OC, C, K, K), bias is (OC), y is (N, OC, HO, WO).
 *
 * <p>Per image, the input is copied once into a zero-padded plane per channel (Hp x Wp plus K-1
 * floats of slack), and the output is computed on a "grid": for stride 1 the grid is HO rows of
 * Wp columns, so each im2col row is ONE contiguous copy of the padded input, shifted by
 * {@code ki*Wp + kj}; the Wp-WO extra columns per row are computed and dropped. For stride > 1 the
 * grid is HO x WO and im2col gathers element by element. One GEMM per image then does the work.
 * Backward for stride 1 needs no col2im: dXp += W_tap^T dY on the same shifted views, one GEMM
 * per kernel tap. The slack keeps those shifted views of different channels from overlapping.
 */
public final class Conv2d extends Layer {
  private final int outChannels;
  private final int kernel;
  private final int stride;
  private final int pad;
  private final boolean bias;

  private int hp;
  private int wp;
  private int plane;
  private int gridW;
  private int grid;
  private int ckk;
  /** Per-image scratch: padded input, im2col columns, output grid, and the backward twins. */
  private FloatBuffer xp;
  private FloatBuffer cols;
  private FloatBuffer yg;
  private FloatBuffer dyg;
  private FloatBuffer dxp;
  private FloatBuffer dcols;
  private FloatBuffer wTap;

  public Conv2d(int outChannels, int kernel, int stride, int pad, boolean bias) {
    if (outChannels <= 0 || kernel <= 0 || stride <= 0 || pad < 0) {
      throw new IllegalArgumentException("conv needs out>0, kernel>0, stride>0, pad>=0; got " + specArgs(outChannels, kernel, stride, pad, bias));
    }
    this.outChannels = outChannels;
    this.kernel = kernel;
    this.stride = stride;
    this.pad = pad;
    this.bias = bias;
  }

  private static String specArgs(int oc, int k, int s, int p, boolean b) {
    StringBuilder sb = new StringBuilder("conv(").append(oc).append(',').append(k);
    if (s != 1) {
      sb.append(",stride=").append(s);
    }
    if (p != 0) {
      sb.append(",pad=").append(p);
    }
    if (!b) {
      sb.append(",bias=false");
    }
    return sb.append(')').toString();
  }

  @Override
  public String spec() {
    return specArgs(outChannels, kernel, stride, pad, bias);
  }

  @Override
  public String family() {
    return "conv";
  }

  @Override
  public Shape outputShape(Shape in) {
    int ho = Math.floorDiv(in.h() + 2 * pad - kernel, stride) + 1;
    int wo = Math.floorDiv(in.w() + 2 * pad - kernel, stride) + 1;
    if (ho <= 0 || wo <= 0) {
      throw new IllegalArgumentException(spec() + " on input " + in + " gives an empty output (" + ho + "x" + wo
          + "): the padded input " + (in.h() + 2 * pad) + "x" + (in.w() + 2 * pad) + " is smaller than the kernel " + kernel);
    }
    return new Shape(outChannels, ho, wo);
  }

  @Override
  public List<ParamDef> params(Shape in) {
    int fanIn = in.c() * kernel * kernel;
    int fanOut = outChannels * kernel * kernel;
    List<ParamDef> p = new ArrayList<>();
    p.add(new ParamDef("weight", new int[] {outChannels, in.c(), kernel, kernel}, true, ParamDef.Init.WEIGHT, fanIn, fanOut));
    if (bias) {
      p.add(new ParamDef("bias", new int[] {outChannels}, true, ParamDef.Init.BIAS, fanIn, fanOut));
    }
    return p;
  }

  @Override
  public void bind(Shape in, FloatBuffer params, FloatBuffer grads, int[] offsets, org.cnnspark.engine.kernels.Gemm gemm) {
    super.bind(in, params, grads, offsets, gemm);
    hp = in.h() + 2 * pad;
    wp = in.w() + 2 * pad;
    plane = hp * wp + kernel - 1;
    gridW = stride == 1 ? wp : out.w();
    grid = out.h() * gridW;
    ckk = in.c() * kernel * kernel;
    xp = Buffers.allocate((long) in.c() * plane);
    cols = Buffers.allocate((long) ckk * grid);
    yg = Buffers.allocate((long) outChannels * grid);
  }

  /** Copies image n of x into the zero-padded planes xp (borders stay zero from allocation). */
  private void padInput(FloatBuffer x, int n) {
    int c = in.c();
    int h = in.h();
    int w = in.w();
    int base = n * in.size();
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        xp.put(ch * plane + (i + pad) * wp + pad, x, base + (ch * h + i) * w, w);
      }
    }
  }

  /** cols (CKK, grid) from xp; row (c, ki, kj) reads xp shifted by the tap. */
  private void im2col() {
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    int row = 0;
    for (int ch = 0; ch < c; ch++) {
      for (int ki = 0; ki < kernel; ki++) {
        for (int kj = 0; kj < kernel; kj++, row++) {
          int src = ch * plane + ki * wp + kj;
          if (stride == 1) {
            cols.put(row * grid, xp, src, grid);
          } else {
            int dst = row * grid;
            for (int i = 0; i < ho; i++) {
              int s = src + i * stride * wp;
              for (int j = 0; j < wo; j++) {
                cols.put(dst++, xp.get(s + j * stride));
              }
            }
          }
        }
      }
    }
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    this.x = x;
    FloatBuffer out = outBuffer(n);
    int oc = outChannels;
    int ho = this.out.h();
    int wo = this.out.w();
    int hw = ho * wo;
    int w = offsets[0];
    for (int img = 0; img < n; img++) {
      padInput(x, img);
      im2col();
      // yg (OC, grid) = weight (OC, CKK) * cols (CKK, grid)
      gemm.sgemm(false, false, oc, grid, ckk, 1f, params, w, ckk, cols, 0, grid, 0f, yg, 0, grid);
      int base = img * this.out.size();
      for (int o = 0; o < oc; o++) {
        float b = bias ? params.get(offsets[1] + o) : 0f;
        for (int i = 0; i < ho; i++) {
          int g = o * grid + i * gridW;
          int d = base + o * hw + i * wo;
          for (int j = 0; j < wo; j++) {
            out.put(d + j, yg.get(g + j) + b);
          }
        }
      }
    }
    return out;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    int oc = outChannels;
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    int hw = ho * wo;
    int kk = kernel * kernel;
    dyg = Buffers.ensure(dyg, (long) oc * grid);
    Buffers.zero(dyg, 0, oc * grid); // the dropped grid columns must stay zero
    FloatBuffer dxOut = needDx ? dxBuffer(n) : null;
    if (needDx) {
      dxp = Buffers.ensure(dxp, (long) c * plane);
      if (stride == 1) {
        // wTap[t] (OC, C) = weight[:, :, ki, kj], the per-tap slices of the weight
        wTap = Buffers.ensure(wTap, (long) kk * oc * c);
        int w = offsets[0];
        for (int o = 0; o < oc; o++) {
          for (int ch = 0; ch < c; ch++) {
            for (int t = 0; t < kk; t++) {
              wTap.put((t * oc + o) * c + ch, params.get(w + (o * c + ch) * kk + t));
            }
          }
        }
      } else {
        dcols = Buffers.ensure(dcols, (long) ckk * grid);
      }
    }
    for (int img = 0; img < n; img++) {
      int base = img * out.size();
      for (int o = 0; o < oc; o++) {
        double db = 0;
        for (int i = 0; i < ho; i++) {
          int g = o * grid + i * gridW;
          int s = base + o * hw + i * wo;
          for (int j = 0; j < wo; j++) {
            float v = dy.get(s + j);
            dyg.put(g + j, v);
            db += v;
          }
        }
        if (bias) {
          int bo = offsets[1] + o;
          grads.put(bo, grads.get(bo) + (float) db);
        }
      }
      padInput(x, img);
      im2col();
      // dWeight (OC, CKK) += dyg (OC, grid) * cols^T (grid, CKK)
      gemm.sgemm(false, true, oc, ckk, grid, 1f, dyg, 0, grid, cols, 0, grid, 1f, grads, offsets[0], ckk);
      if (needDx) {
        backwardInput(dxOut, img);
      }
    }
    return dxOut;
  }

  /** dx for image img from dyg: shifted GEMMs for stride 1, else dcols and col2im. */
  private void backwardInput(FloatBuffer dxOut, int img) {
    int oc = outChannels;
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    Buffers.zero(dxp, 0, c * plane);
    if (stride == 1) {
      for (int ki = 0; ki < kernel; ki++) {
        for (int kj = 0; kj < kernel; kj++) {
          int t = ki * kernel + kj;
          // dxp[c, shift + q] += sum_oc wTap[t](oc, c) * dyg(oc, q)
          gemm.sgemm(true, false, c, grid, oc, 1f, wTap, t * oc * c, c, dyg, 0, grid, 1f, dxp, ki * wp + kj, plane);
        }
      }
    } else {
      // dcols (CKK, grid) = weight^T (CKK, OC) * dyg (OC, grid), then scatter-add (col2im)
      gemm.sgemm(true, false, ckk, grid, oc, 1f, params, offsets[0], ckk, dyg, 0, grid, 0f, dcols, 0, grid);
      int row = 0;
      for (int ch = 0; ch < c; ch++) {
        for (int ki = 0; ki < kernel; ki++) {
          for (int kj = 0; kj < kernel; kj++, row++) {
            int dst = ch * plane + ki * wp + kj;
            int src = row * grid;
            for (int i = 0; i < ho; i++) {
              int d = dst + i * stride * wp;
              for (int j = 0; j < wo; j++) {
                int k = d + j * stride;
                dxp.put(k, dxp.get(k) + dcols.get(src++));
              }
            }
          }
        }
      }
    }
    int h = in.h();
    int w = in.w();
    int base = img * in.size();
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        dxOut.put(base + (ch * h + i) * w, dxp, ch * plane + (i + pad) * wp + pad, w);
      }
    }
  }
}
