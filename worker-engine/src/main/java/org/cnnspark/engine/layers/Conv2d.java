package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.Gemm;

/**
 * 2-D convolution, as {@code nn.Conv2d(C, OC, K, stride, padding, bias)}.
 * x is (N, C, H, W), weight is (OC, C, K, K), bias is (OC), y is (N, OC, HO, WO).
 *
 * <p>Per image, the input is copied into zero-padded planes (Hp x Wp plus K-1 floats of slack
 * per channel) and the output is computed on a "grid": for stride 1 the grid is HO rows of Wp
 * columns, so each im2col row is ONE contiguous copy of the padded input shifted by
 * {@code ki*Wp + kj}; the Wp-WO extra columns per row are computed and dropped. For stride > 1
 * the grid is HO x WO and im2col gathers element by element. One GEMM per image does the work.
 * Backward for stride 1 needs no col2im: dXp += W_tap^T dY on the same shifted views, one GEMM
 * per kernel tap; the slack keeps the shifted views of neighbouring channels from overlapping.
 *
 * <p>Fused epilogue: when the network follows this layer with ReLU and/or a max pool without
 * padding, this layer applies them while the image's output is still in cache, and those layers
 * pass data through. The result is the same as running them separately: max(relu(v)) =
 * relu(max(v)), and ties keep PyTorch's first maximum.
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
  /** Fused epilogue: relu, and max pool kernel/stride (0 = none); final output shape. */
  private boolean fuseRelu;
  private int poolK;
  private int poolS;
  private Shape finalOut;
  /** argmax of each pooled output as a grid index, or -1 when ReLU zeroed it. */
  private int[] argmax;

  // per-image scratch: heap tiles for element-wise work, direct buffers as GEMM operands
  private float[] xpTile;
  private float[] gridTile;
  private float[] outTile;
  private FloatBuffer cols;
  private FloatBuffer yg;
  private FloatBuffer dyg;
  private FloatBuffer dxp;
  private FloatBuffer dcols;
  private FloatBuffer wTap;
  private float[] dcolsTile;
  private float[] gatherTile;
  private float[] dyTile;
  private float[] yTile;

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
  public void bind(Shape in, FloatBuffer params, FloatBuffer grads, int[] offsets, Gemm gemm) {
    super.bind(in, params, grads, offsets, gemm);
    hp = in.h() + 2 * pad;
    wp = in.w() + 2 * pad;
    plane = hp * wp + kernel - 1;
    gridW = stride == 1 ? wp : out.w();
    grid = out.h() * gridW;
    ckk = in.c() * kernel * kernel;
    xpTile = new float[in.c() * plane];
    gridTile = new float[outChannels * grid];
    cols = Buffers.allocate((long) ckk * grid);
    yg = Buffers.allocate((long) outChannels * grid);
    finalOut = out;
  }

  /** Takes over a following ReLU and/or max pool (kernel poolK, stride poolS, no padding). */
  public void fuse(boolean relu, int poolK, int poolS) {
    this.fuseRelu = relu;
    this.poolK = poolK;
    this.poolS = poolS;
    finalOut = poolK == 0 ? out
        : new Shape(outChannels, (out.h() - poolK) / poolS + 1, (out.w() - poolK) / poolS + 1);
  }

  /** Shape of what forward returns: the conv output, or after the fused pool. */
  public Shape finalOut() {
    return finalOut;
  }

  @Override
  protected FloatBuffer outBuffer(int n) {
    y = Buffers.ensure(y, (long) n * finalOut.size());
    return y;
  }

  /** Copies image n of x into the zero-padded planes xpTile (borders stay zero). */
  private void padInput(FloatBuffer x, int n) {
    int c = in.c();
    int h = in.h();
    int w = in.w();
    int base = n * in.size();
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        x.get(base + (ch * h + i) * w, xpTile, ch * plane + (i + pad) * wp + pad, w);
      }
    }
  }

  /** cols (CKK, grid) from the padded input; row (c, ki, kj) is the input shifted by the tap. */
  private void im2col() {
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    int row = 0;
    float[] gather = null;
    if (stride != 1) {
      gatherTile = tile(gatherTile, grid);
      gather = gatherTile;
    }
    for (int ch = 0; ch < c; ch++) {
      for (int ki = 0; ki < kernel; ki++) {
        for (int kj = 0; kj < kernel; kj++, row++) {
          int src = ch * plane + ki * wp + kj;
          if (stride == 1) {
            cols.put(row * grid, xpTile, src, grid);
          } else {
            int d = 0;
            for (int i = 0; i < ho; i++) {
              int s = src + i * stride * wp;
              for (int j = 0; j < wo; j++) {
                gather[d++] = xpTile[s + j * stride];
              }
            }
            cols.put(row * grid, gather, 0, grid);
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
    int outSize = finalOut.size();
    outTile = tile(outTile, outSize);
    if (poolK > 0) {
      argmax = argmax != null && argmax.length >= n * outSize ? argmax : new int[n * outSize];
    }
    float[] g = gridTile;
    for (int img = 0; img < n; img++) {
      padInput(x, img);
      im2col();
      // yg (OC, grid) = weight (OC, CKK) * cols (CKK, grid)
      gemm.sgemm(false, false, oc, grid, ckk, 1f, params, offsets[0], ckk, cols, 0, grid, 0f, yg, 0, grid);
      yg.get(0, g, 0, oc * grid);
      for (int o = 0; o < oc; o++) {
        float b = bias ? params.get(offsets[1] + o) : 0f;
        int go = o * grid;
        for (int i = 0; i < ho; i++) {
          int r = go + i * gridW;
          for (int j = 0; j < wo; j++) {
            g[r + j] += b;
          }
        }
        if (poolK == 0) {
          int d = o * hw;
          for (int i = 0; i < ho; i++) {
            int r = go + i * gridW;
            for (int j = 0; j < wo; j++) {
              float v = g[r + j];
              outTile[d + i * wo + j] = fuseRelu && !(v > 0f) ? 0f : v;
            }
          }
        } else {
          pool(g, go, o, img * outSize);
        }
      }
      out.put(img * outSize, outTile, 0, outSize);
    }
    return out;
  }

  /** Max pool (with fused ReLU) of channel o's grid into outTile, recording argmax grid indices. */
  private void pool(float[] g, int go, int o, int argBase) {
    int po = finalOut.h();
    int qo = finalOut.w();
    int d = o * po * qo;
    for (int pi = 0; pi < po; pi++) {
      for (int pj = 0; pj < qo; pj++, d++) {
        int best = go + pi * poolS * gridW + pj * poolS;
        float m = g[best];
        for (int a = 0; a < poolK; a++) {
          int r = go + (pi * poolS + a) * gridW + pj * poolS;
          for (int b = 0; b < poolK; b++) {
            float v = g[r + b];
            if (v > m || (v != v && m == m)) { // first maximum; NaN wins, as in PyTorch
              m = v;
              best = r + b;
            }
          }
        }
        if (fuseRelu && !(m > 0f)) {
          outTile[d] = m != m ? m : 0f;
          argmax[argBase + d] = -1;
        } else {
          outTile[d] = m;
          argmax[argBase + d] = best;
        }
      }
    }
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    int oc = outChannels;
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    int hw = ho * wo;
    int kk = kernel * kernel;
    int outSize = finalOut.size();
    dyg = Buffers.ensure(dyg, (long) oc * grid);
    float[] g = gridTile;
    dyTile = tile(dyTile, outSize);
    float[] dyTile = this.dyTile;
    FloatBuffer dxOut = needDx ? dxBuffer(n) : null;
    if (needDx) {
      dxp = Buffers.ensure(dxp, (long) c * plane);
      if (stride == 1) {
        // wTap[t] (OC, C) = weight[:, :, ki, kj], the per-tap slices of the weight
        wTap = Buffers.ensure(wTap, (long) kk * oc * c);
        float[] w = new float[oc * c * kk];
        params.get(offsets[0], w, 0, w.length);
        float[] t = new float[w.length];
        for (int o = 0; o < oc; o++) {
          for (int ch = 0; ch < c; ch++) {
            for (int k = 0; k < kk; k++) {
              t[(k * oc + o) * c + ch] = w[(o * c + ch) * kk + k];
            }
          }
        }
        wTap.put(0, t);
      } else {
        dcols = Buffers.ensure(dcols, (long) ckk * grid);
      }
    }
    double[] db = new double[oc];
    for (int img = 0; img < n; img++) {
      dy.get(img * outSize, dyTile, 0, outSize);
      java.util.Arrays.fill(g, 0, oc * grid, 0f); // dropped grid columns must stay zero
      if (poolK > 0) {
        int argBase = img * outSize;
        for (int d = 0; d < outSize; d++) {
          int a = argmax[argBase + d];
          if (a >= 0) {
            g[a] += dyTile[d];
          }
        }
      } else {
        int yBase = img * outSize;
        for (int o = 0; o < oc; o++) {
          for (int i = 0; i < ho; i++) {
            int r = o * grid + i * gridW;
            int s = o * hw + i * wo;
            for (int j = 0; j < wo; j++) {
              g[r + j] = dyTile[s + j];
            }
          }
        }
        if (fuseRelu) {
          yTile = tile(yTile, outSize);
          float[] yTile = this.yTile;
          y.get(yBase, yTile, 0, outSize);
          for (int o = 0; o < oc; o++) {
            for (int i = 0; i < ho; i++) {
              int r = o * grid + i * gridW;
              int s = o * hw + i * wo;
              for (int j = 0; j < wo; j++) {
                if (!(yTile[s + j] > 0f)) {
                  g[r + j] = 0f;
                }
              }
            }
          }
        }
      }
      if (bias) {
        for (int o = 0; o < oc; o++) {
          double s = 0;
          for (int q = o * grid, e = q + grid; q < e; q++) {
            s += g[q];
          }
          db[o] += s;
        }
      }
      dyg.put(0, g, 0, oc * grid);
      padInput(x, img);
      im2col();
      // dWeight (OC, CKK) += dyg (OC, grid) * cols^T (grid, CKK)
      gemm.sgemm(false, true, oc, ckk, grid, 1f, dyg, 0, grid, cols, 0, grid, 1f, grads, offsets[0], ckk);
      if (needDx) {
        backwardInput(dxOut, img);
      }
    }
    if (bias) {
      for (int o = 0; o < oc; o++) {
        int bo = offsets[1] + o;
        grads.put(bo, grads.get(bo) + (float) db[o]);
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
    float[] xp = xpTile; // reused as the dxp tile: padInput runs again before the next use
    if (stride == 1) {
      Buffers.zero(dxp, 0, c * plane);
      for (int ki = 0; ki < kernel; ki++) {
        for (int kj = 0; kj < kernel; kj++) {
          int t = ki * kernel + kj;
          // dxp[c, shift + q] += sum_oc wTap[t](oc, c) * dyg(oc, q)
          gemm.sgemm(true, false, c, grid, oc, 1f, wTap, t * oc * c, c, dyg, 0, grid, 1f, dxp, ki * wp + kj, plane);
        }
      }
      dxp.get(0, xp, 0, c * plane);
    } else {
      // dcols (CKK, grid) = weight^T (CKK, OC) * dyg (OC, grid), then scatter-add (col2im)
      gemm.sgemm(true, false, ckk, grid, oc, 1f, params, offsets[0], ckk, dyg, 0, grid, 0f, dcols, 0, grid);
      dcolsTile = tile(dcolsTile, ckk * grid);
      float[] dc = dcolsTile;
      dcols.get(0, dc, 0, ckk * grid);
      java.util.Arrays.fill(xp, 0f);
      int row = 0;
      int src = 0;
      for (int ch = 0; ch < c; ch++) {
        for (int ki = 0; ki < kernel; ki++) {
          for (int kj = 0; kj < kernel; kj++, row++) {
            int dst = ch * plane + ki * wp + kj;
            for (int i = 0; i < ho; i++) {
              int d = dst + i * stride * wp;
              for (int j = 0; j < wo; j++) {
                xp[d + j * stride] += dc[src++];
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
        dxOut.put(base + (ch * h + i) * w, xp, ch * plane + (i + pad) * wp + pad, w);
      }
    }
    // padInput only writes the interior: restore the zero borders it relies on
    java.util.Arrays.fill(xp, 0f);
  }
}
