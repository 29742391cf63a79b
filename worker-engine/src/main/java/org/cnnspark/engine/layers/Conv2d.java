package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.ArrayOps;
import org.cnnspark.engine.kernels.Gemm;

/**
 * 2-D convolution, as {@code nn.Conv2d(C, OC, K, stride, padding, bias)}.
 * x is (N, C, H, W), weight is (OC, C, K, K), bias is (OC), y is (N, OC, HO, WO).
 *
 * <p>Per image, the input is copied into zero-padded planes (Hp x Wp plus K-1 floats of slack
 * per channel) and the output is computed on a "grid": for stride 1 the grid is HO rows of Wp
 * columns, so each im2col row is ONE contiguous copy of the padded input shifted by
 * {@code ki*Wp + kj}; the Wp-WO extra columns per row are computed and dropped (their input
 * gradient is zero, so col2im may add them anywhere). For stride > 1 the grid is HO x WO and
 * im2col gathers element by element. Images are processed in chunks whose grids sit side by side
 * in one GEMM operand ({@link #TARGET_COLUMNS} columns), because OpenBLAS is far from its peak on
 * one small image; the chunking depends only on the batch size, so results are reproducible.
 *
 * <p>Fused epilogue: when the network follows this layer with ReLU and/or a max pool without
 * padding, this layer applies them while the image's output is still in cache, and those layers
 * pass data through. The result is the same as running them separately: max(relu(v)) =
 * relu(max(v)), and ties keep PyTorch's first maximum.
 */
public final class Conv2d extends Layer {
  /** GEMM width to aim for when chunking images: wide enough for OpenBLAS, small enough for L2/L3. */
  static final int TARGET_COLUMNS = Integer.getInteger("cnnspark.convColumns", 1024);

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
  private int chunk;
  /** Fused epilogue: relu, and max pool kernel/stride (0 = none); final output shape. */
  private boolean fuseRelu;
  private int poolK;
  private int poolS;
  private Shape finalOut;
  /** argmax of each pooled output as an index into its chunk's grid tile, or that tile's sink slot. */
  private int[] argmax;

  // scratch: heap tiles for element-wise work, direct buffers as GEMM operands
  private float[] xpTile;
  private float[] gridTile;
  private float[] outTile;
  private float[] gatherTile;
  private float[] dcolsTile;
  private FloatBuffer cols;
  private FloatBuffer yg;
  private FloatBuffer dcols;

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
    chunk = Math.max(1, TARGET_COLUMNS / grid);
    xpTile = new float[in.c() * plane];
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

  @Override
  protected FloatBuffer outBuffer(int n) {
    y = Buffers.ensure(y, (long) n * finalOut.size());
    return y;
  }

  /**
   * Sizes the scratch for chunks of up to nb images. Backward redoes the chunk's im2col rather
   * than keeping forward's for the whole batch: a chunk stays in cache, the batch would not
   * (measured: keeping it made a training step ~15% slower).
   */
  private void ensureScratch(int nb) {
    long cw = (long) nb * grid;
    cols = Buffers.ensure(cols, ckk * cw);
    yg = Buffers.ensure(yg, outChannels * cw);
    gridTile = tile(gridTile, (int) (outChannels * cw) + 1); // +1: the pool's sink slot
    outTile = tile(outTile, finalOut.size());
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

  /** cols rows (c, ki, kj), columns [col, col + grid): the padded image shifted by the tap. */
  private void im2col(int col, int ld) {
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    int row = 0;
    if (stride != 1) {
      gatherTile = tile(gatherTile, grid);
    }
    for (int ch = 0; ch < c; ch++) {
      for (int ki = 0; ki < kernel; ki++) {
        for (int kj = 0; kj < kernel; kj++, row++) {
          int src = ch * plane + ki * wp + kj;
          if (stride == 1) {
            cols.put(row * ld + col, xpTile, src, grid);
          } else {
            int d = 0;
            for (int i = 0; i < ho; i++) {
              int s = src + i * stride * wp;
              for (int j = 0; j < wo; j++) {
                gatherTile[d++] = xpTile[s + j * stride];
              }
            }
            cols.put(row * ld + col, gatherTile, 0, grid);
          }
        }
      }
    }
  }

  /** Fills cols for images [first, first + nb) of x; returns the row length (nb * grid). */
  private int im2colChunk(FloatBuffer x, int first, int nb) {
    int ld = nb * grid;
    for (int b = 0; b < nb; b++) {
      padInput(x, first + b);
      im2col(b * grid, ld);
    }
    return ld;
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
    ensureScratch(Math.min(chunk, n));
    if (poolK > 0) {
      argmax = argmax != null && argmax.length >= n * outSize ? argmax : new int[n * outSize];
    }
    float[] g = gridTile;
    for (int first = 0; first < n; first += chunk) {
      int nb = Math.min(chunk, n - first);
      int ld = im2colChunk(x, first, nb);
      // yg (OC, nb*grid) = weight (OC, CKK) * cols (CKK, nb*grid)
      gemm.sgemm(false, false, oc, ld, ckk, 1f, params, offsets[0], ckk, cols, 0, ld, 0f, yg, 0, ld);
      yg.get(0, g, 0, oc * ld);
      for (int b = 0; b < nb; b++) {
        int img = first + b;
        for (int o = 0; o < oc; o++) {
          int go = o * ld + b * grid;
          // the bias is added after pooling: fl(v + bias) is monotonic in v, so the maximum is
          // the same number, for a quarter of the additions
          float bo = bias ? params.get(offsets[1] + o) : 0f;
          if (poolK == 0) {
            int d = o * hw;
            for (int i = 0; i < ho; i++) {
              int r = go + i * gridW;
              for (int j = 0; j < wo; j++) {
                float v = g[r + j] + bo;
                outTile[d + i * wo + j] = fuseRelu && !(v > 0f) ? 0f : v;
              }
            }
          } else {
            pool(g, go, o, img * outSize, oc * ld, bo);
          }
        }
        out.put(img * outSize, outTile, 0, outSize);
      }
    }
    return out;
  }

  /**
   * Max pool (with fused ReLU) of one channel's grid into outTile, recording argmax grid indices;
   * a window that ReLU zeroes points at the sink slot past the grid. Written with conditional
   * moves, not branches: on real activations "v > m" is a coin toss the CPU cannot predict.
   */
  private void pool(float[] g, int go, int o, int argBase, int sink, float bo) {
    int po = finalOut.h();
    int qo = finalOut.w();
    int d = o * po * qo;
    if (poolK == 2 && poolS == 2) {
      pool2x2(g, go, gridW, po, qo, fuseRelu, bo, outTile, d, argmax, argBase + d, sink);
      return;
    }
    for (int pi = 0; pi < po; pi++) {
      for (int pj = 0; pj < qo; pj++, d++) {
        int best = go + pi * poolS * gridW + pj * poolS;
        float m = g[best];
        for (int a = 0; a < poolK; a++) {
          int r = go + (pi * poolS + a) * gridW + pj * poolS;
          for (int b = 0; b < poolK; b++) {
            float v = g[r + b];
            boolean gt = v > m; // strict: the first maximum wins, as in PyTorch
            best = gt ? r + b : best;
            m = gt ? v : m;
          }
        }
        m += bo;
        boolean dead = fuseRelu && !(m > 0f);
        outTile[d] = dead ? 0f : m;
        argmax[argBase + d] = dead ? sink : best;
      }
    }
  }

  /**
   * The common 2x2 stride-2 window, unrolled (about 4x faster than the general loop); static, with
   * everything in parameters, so C2 compiles it as a small hot loop of its own.
   */
  private static void pool2x2(float[] g, int go, int gridW, int po, int qo, boolean relu, float bias,
                              float[] out, int d, int[] arg, int a, int sink) {
    for (int pi = 0; pi < po; pi++) {
      int row = go + 2 * pi * gridW;
      for (int pj = 0; pj < qo; pj++, d++, a++) {
        int i0 = row + 2 * pj;
        int i2 = i0 + gridW;
        float v0 = g[i0];
        float v1 = g[i0 + 1];
        float v2 = g[i2];
        float v3 = g[i2 + 1];
        // first maximum in row-major order wins ties, as in PyTorch
        float m01 = Math.max(v0, v1);
        float m23 = Math.max(v2, v3);
        int a01 = v1 > v0 ? i0 + 1 : i0;
        int a23 = v3 > v2 ? i2 + 1 : i2;
        boolean lower = m23 > m01;
        float m = (lower ? m23 : m01) + bias;
        int best = lower ? a23 : a01;
        boolean dead = relu && !(m > 0f);
        out[d] = dead ? 0f : m;
        arg[a] = dead ? sink : best;
      }
    }
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    int oc = outChannels;
    int ho = out.h();
    int wo = out.w();
    int hw = ho * wo;
    int outSize = finalOut.size();
    ensureScratch(Math.min(chunk, n));
    float[] g = gridTile;
    float[] dyTile = outTile;
    float[] yTile = null;
    FloatBuffer dxOut = needDx ? dxBuffer(n) : null;
    double[] db = new double[oc];
    for (int first = 0; first < n; first += chunk) {
      int nb = Math.min(chunk, n - first);
      int ld = nb * grid;
      java.util.Arrays.fill(g, 0, oc * ld + 1, 0f); // dropped grid columns must stay zero
      for (int b = 0; b < nb; b++) {
        int img = first + b;
        dy.get(img * outSize, dyTile, 0, outSize);
        if (poolK > 0) {
          int argBase = img * outSize;
          for (int d = 0; d < outSize; d++) {
            g[argmax[argBase + d]] += dyTile[d];
          }
          continue;
        }
        if (fuseRelu) {
          yTile = tile(yTile, outSize);
          y.get(img * outSize, yTile, 0, outSize);
        }
        for (int o = 0; o < oc; o++) {
          for (int i = 0; i < ho; i++) {
            int r = o * ld + b * grid + i * gridW;
            int s = o * hw + i * wo;
            for (int j = 0; j < wo; j++) {
              g[r + j] = fuseRelu && !(yTile[s + j] > 0f) ? 0f : dyTile[s + j];
            }
          }
        }
      }
      g[oc * ld] = 0f; // the sink of windows ReLU zeroed
      if (bias) {
        for (int o = 0; o < oc; o++) {
          db[o] += sum(g, o * ld, ld);
        }
      }
      FloatBuffer dyg = yg; // forward's output tile is free now: reuse it for dY
      dyg.put(0, g, 0, oc * ld);
      im2colChunk(x, first, nb);
      // dWeight (OC, CKK) += dyg (OC, nb*grid) * cols^T (nb*grid, CKK)
      gemm.sgemm(false, true, oc, ckk, ld, 1f, dyg, 0, ld, cols, 0, ld, 1f, grads, offsets[0], ckk);
      if (needDx) {
        backwardInput(dxOut, dyg, first, nb);
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

  /** Sum of a[off, off+n) with eight independent partial sums, so the loop is not one long dependency chain. */
  private static double sum(float[] a, int off, int n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int i = off;
    for (int end = off + (n & ~7); i < end; i += 8) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
      s4 += a[i + 4];
      s5 += a[i + 5];
      s6 += a[i + 6];
      s7 += a[i + 7];
    }
    double s = ((double) s0 + s1) + ((double) s2 + s3) + ((double) s4 + s5) + ((double) s6 + s7);
    for (int end = off + n; i < end; i++) {
      s += a[i];
    }
    return s;
  }

  /** dx for a chunk: dcols = weight^T dY, then col2im (scatter-add into padded planes) per image. */
  private void backwardInput(FloatBuffer dxOut, FloatBuffer dyg, int first, int nb) {
    int oc = outChannels;
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    int ld = nb * grid;
    dcols = Buffers.ensure(dcols, (long) ckk * ld);
    // dcols (CKK, nb*grid) = weight^T (CKK, OC) * dyg (OC, nb*grid)
    gemm.sgemm(true, false, ckk, ld, oc, 1f, params, offsets[0], ckk, dyg, 0, ld, 0f, dcols, 0, ld);
    dcolsTile = tile(dcolsTile, ckk * ld);
    float[] dc = dcolsTile;
    dcols.get(0, dc, 0, ckk * ld);
    float[] xp = xpTile; // reused for dXp: padInput refills the interior before its next use
    int h = in.h();
    int w = in.w();
    for (int b = 0; b < nb; b++) {
      java.util.Arrays.fill(xp, 0f);
      int row = 0;
      for (int ch = 0; ch < c; ch++) {
        for (int ki = 0; ki < kernel; ki++) {
          for (int kj = 0; kj < kernel; kj++, row++) {
            int dst = ch * plane + ki * wp + kj;
            int src = row * ld + b * grid;
            if (stride == 1) {
              ArrayOps.addTo(xp, dst, dc, src, grid);
            } else {
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
      int base = (first + b) * in.size();
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < h; i++) {
          dxOut.put(base + (ch * h + i) * w, xp, ch * plane + (i + pad) * wp + pad, w);
        }
      }
    }
    // padInput only writes the interior: restore the zero borders it relies on
    java.util.Arrays.fill(xp, 0f);
  }
}
