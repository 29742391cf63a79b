package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.ArrayOps;

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
 * With a fused max pool the GEMM writes the grid channels last, (nb*grid, OC): the 2x2 max pool
 * and its gradient then run along channels in whole vectors (~4x faster than the strided scalar
 * pool), and only the pooled outputs are transposed back to the network's channels-first
 * layout. Without a pool it writes channels first, the output's own layout, and skips the transposes.
 *
 * <p>Fused epilogue: when the network follows this layer with ReLU and/or a max pool without
 * padding, this layer applies them while the image's output is still in cache, and those layers
 * pass data through. The result is the same as running them separately: max(relu(v)) =
 * relu(max(v)), and ties keep PyTorch's first maximum.
 */
public final class Conv2d extends Layer {
  /**
   * GEMM width to aim for when chunking images: wide enough for OpenBLAS, small enough that a
   * chunk's im2col (conv2 of the tutorial CNN: 288 rows) stays in a core's L2. 512 rather than
   * 1024: same speed on one thread, 7-12% faster training on two, where cores share L3 and memory.
   */
  static final int TARGET_COLUMNS = Integer.getInteger("cnnspark.convColumns", 512);

  private final int outChannels;
  private final int kernel;
  private final int stride;
  private final int pad;
  private final boolean hasBias;
  /** Where weight and bias start in params and grads (bias: -1 without one). */
  private int weight;
  private int bias = -1;

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
  /**
   * Per pooled output (per image channels last): the window cell of its first maximum, or
   * poolK^2 when ReLU zeroed it. Floats, so the vector pool writes them without conversions.
   */
  private float[] argcode;

  // scratch: heap tiles for element-wise work, direct buffers as GEMM operands
  private float[] xpTile;
  private float[] imageTile;
  private float[] gridTile;
  private float[] outTile;
  private float[] pooledTile;
  private float[] biasTile;
  private float[] biasSumTile;
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
    this.hasBias = bias;
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
    return specArgs(outChannels, kernel, stride, pad, hasBias);
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
    if (hasBias) {
      p.add(new ParamDef("bias", new int[] {outChannels}, true, ParamDef.Init.BIAS, fanIn, fanOut));
    }
    return p;
  }

  @Override
  protected void bound(Map<String, Integer> offsets) {
    weight = offsets.get("weight");
    bias = hasBias ? offsets.get("bias") : -1;
    hp = in.h() + 2 * pad;
    wp = in.w() + 2 * pad;
    plane = hp * wp + kernel - 1;
    gridW = stride == 1 ? wp : out.w();
    grid = out.h() * gridW;
    ckk = in.c() * kernel * kernel;
    chunk = Math.max(1, TARGET_COLUMNS / grid);
    xpTile = new float[in.c() * plane];
    imageTile = new float[in.size()];
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

  /** The common fused 2x2 stride-2 max pool, which runs along channels in vectors (ArrayOps). */
  private boolean pool2x2() {
    return poolK == 2 && poolS == 2;
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
    gridTile = tile(gridTile, (int) (outChannels * cw));
    outTile = tile(outTile, finalOut.size());
    pooledTile = tile(pooledTile, finalOut.size());
    biasTile = tile(biasTile, outChannels);
    biasSumTile = tile(biasSumTile, outChannels);
  }

  /**
   * Copies image n of x into the zero-padded planes xpTile (borders stay zero): one bulk read from
   * the direct buffer, then row copies on the heap (a read per row costs ~10x more).
   */
  private void padInput(FloatBuffer x, int n) {
    int c = in.c();
    int h = in.h();
    int w = in.w();
    x.get(n * in.size(), imageTile, 0, in.size());
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        System.arraycopy(imageTile, (ch * h + i) * w, xpTile, ch * plane + (i + pad) * wp + pad, w);
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
    int outSize = finalOut.size();
    ensureScratch(Math.min(chunk, n));
    if (poolK > 0) {
      argcode = argcode != null && argcode.length >= n * outSize ? argcode : new float[n * outSize];
    }
    float[] bt = biasTile;
    for (int o = 0; o < oc; o++) {
      bt[o] = hasBias ? params.get(bias + o) : 0f;
    }
    float[] g = gridTile;
    for (int first = 0; first < n; first += chunk) {
      int nb = Math.min(chunk, n - first);
      int ld = im2colChunk(x, first, nb);
      if (poolK > 0) {
        // yg (nb*grid, OC) = cols^T (nb*grid, CKK) * weight^T (CKK, OC): channels last, so the
        // epilogue's max pool runs along channels in vectors
        gemm.sgemm(true, true, ld, oc, ckk, 1f, cols, 0, ld, params, weight, ckk, 0f, yg, 0, oc);
      } else {
        // yg (OC, nb*grid) = weight (OC, CKK) * cols (CKK, nb*grid): channels first, as the output
        gemm.sgemm(false, false, oc, ld, ckk, 1f, params, weight, ckk, cols, 0, ld, 0f, yg, 0, ld);
      }
      yg.get(0, g, 0, oc * ld);
      for (int b = 0; b < nb; b++) {
        int img = first + b;
        if (poolK == 0) {
          activate(g, b * grid, ld);
        } else if (pool2x2()) {
          int po = finalOut.h();
          int qo = finalOut.w();
          for (int pi = 0; pi < po; pi++) {
            int row = pi * qo * oc;
            ArrayOps.maxPool2x2Row(g, (b * grid + 2 * pi * gridW) * oc, gridW * oc, qo, oc, bt, fuseRelu,
                pooledTile, row, argcode, img * outSize + row);
          }
          transpose(pooledTile, outTile, po * qo, oc);
        } else {
          pool(g, b * grid * oc, img * outSize);
        }
        out.put(img * outSize, outTile, 0, outSize);
      }
    }
    return out;
  }

  /** Bias and optional ReLU of one image's grid (channels first, rows of ld) into outTile. */
  private void activate(float[] g, int base, int ld) {
    int ho = out.h();
    int wo = out.w();
    for (int o = 0; o < outChannels; o++) {
      float bo = biasTile[o];
      int d = o * ho * wo;
      for (int i = 0; i < ho; i++) {
        int r = o * ld + base + i * gridW;
        for (int j = 0; j < wo; j++) {
          outTile[d + i * wo + j] = g[r + j] + bo;
        }
      }
    }
    if (fuseRelu) {
      ArrayOps.relu(outTile, outChannels * ho * wo);
    }
  }

  /** dst (cols, rows) = src (rows, cols) transposed: pooled outputs between channels last and first. */
  private static void transpose(float[] src, float[] dst, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        dst[c * rows + r] = src[r * cols + c];
      }
    }
  }

  /**
   * Any other max pool (with fused ReLU) of one image's channels-last grid into outTile; the code
   * of each output is the window cell a * poolK + b of the first maximum, or poolK^2 when ReLU
   * zeroed it. Conditional moves, not branches: on real activations "v > m" is a coin toss.
   */
  private void pool(float[] g, int base, int codeBase) {
    int oc = outChannels;
    int po = finalOut.h();
    int qo = finalOut.w();
    int pq = po * qo;
    float deadCode = poolK * poolK;
    for (int pi = 0; pi < po; pi++) {
      for (int pj = 0; pj < qo; pj++) {
        int q = pi * qo + pj;
        int w0 = base + (pi * poolS * gridW + pj * poolS) * oc;
        for (int o = 0; o < oc; o++) {
          float m = g[w0 + o];
          float cell = 0f;
          for (int a = 0; a < poolK; a++) {
            for (int b = 0; b < poolK; b++) {
              float v = g[w0 + (a * gridW + b) * oc + o];
              boolean gt = v > m; // strict: the first maximum wins, as in PyTorch
              cell = gt ? a * poolK + b : cell;
              m = gt ? v : m;
            }
          }
          m += biasTile[o];
          boolean dead = fuseRelu && !(m > 0f);
          outTile[o * pq + q] = dead ? 0f : m;
          argcode[codeBase + q * oc + o] = dead ? deadCode : cell;
        }
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
      if (poolK == 0) {
        java.util.Arrays.fill(g, 0, oc * ld, 0f); // dropped grid columns must stay zero
      }
      for (int b = 0; b < nb; b++) {
        int img = first + b;
        int base = b * grid * oc;
        dy.get(img * outSize, dyTile, 0, outSize);
        if (pool2x2()) {
          int po = finalOut.h();
          int qo = finalOut.w();
          transpose(dyTile, pooledTile, oc, po * qo);
          zeroOutsideWindows(g, base, 2 * po, 2 * qo);
          for (int pi = 0; pi < po; pi++) {
            int row = pi * qo * oc;
            ArrayOps.maxUnpool2x2Row(pooledTile, row, argcode, img * outSize + row, g,
                base + 2 * pi * gridW * oc, gridW * oc, qo, oc);
          }
          if (hasBias) {
            ArrayOps.addColumnSums(pooledTile, po * qo, oc, biasSumTile, db); // a quarter of the grid's rows, same sum
          }
          continue;
        }
        if (poolK > 0) {
          java.util.Arrays.fill(g, base, base + grid * oc, 0f); // cells outside windows stay zero
          unpool(g, base, dyTile, img * outSize);
          continue;
        }
        if (fuseRelu) {
          yTile = tile(yTile, outSize);
          y.get(img * outSize, yTile, 0, outSize);
          ArrayOps.reluGradient(yTile, dyTile, outSize);
        }
        for (int o = 0; o < oc; o++) {
          for (int i = 0; i < ho; i++) {
            System.arraycopy(dyTile, o * hw + i * wo, g, o * ld + b * grid + i * gridW, wo);
          }
        }
      }
      if (hasBias && poolK == 0) {
        for (int o = 0; o < oc; o++) {
          db[o] += ArrayOps.sum(g, o * ld, ld);
        }
      } else if (hasBias && !pool2x2()) {
        ArrayOps.addColumnSums(g, ld, oc, biasSumTile, db);
      }
      FloatBuffer dyg = yg; // forward's output tile is free now: reuse it for dY
      dyg.put(0, g, 0, oc * ld);
      im2colChunk(x, first, nb);
      // dWeight (OC, CKK) += dY (OC, nb*grid) * cols^T (nb*grid, CKK), dY stored as dyg or dyg^T
      gemm.sgemm(poolK > 0, true, oc, ckk, ld, 1f, dyg, 0, poolK > 0 ? oc : ld, cols, 0, ld, 1f, grads, weight, ckk);
      if (needDx) {
        backwardInput(dxOut, dyg, first, nb);
      }
    }
    if (hasBias) {
      for (int o = 0; o < oc; o++) {
        int bo = bias + o;
        grads.put(bo, grads.get(bo) + (float) db[o]);
      }
    }
    return dxOut;
  }

  /** Zeroes the cells of one image's grid that no 2x2 window covers: columns >= cols and rows >= rows. */
  private void zeroOutsideWindows(float[] g, int base, int rows, int cols) {
    int oc = outChannels;
    int ho = out.h();
    for (int i = 0; i < ho; i++) {
      int r = base + i * gridW * oc;
      if (i < rows) {
        java.util.Arrays.fill(g, r + cols * oc, r + gridW * oc, 0f);
      } else {
        java.util.Arrays.fill(g, r, r + gridW * oc, 0f);
      }
    }
  }

  /** Scatter-adds one image's pooled gradient (channels first) into its grid through the window codes. */
  private void unpool(float[] g, int base, float[] dyTile, int codeBase) {
    int oc = outChannels;
    int po = finalOut.h();
    int qo = finalOut.w();
    int pq = po * qo;
    int deadCode = poolK * poolK;
    for (int pi = 0; pi < po; pi++) {
      for (int pj = 0; pj < qo; pj++) {
        int q = pi * qo + pj;
        int w0 = base + (pi * poolS * gridW + pj * poolS) * oc;
        for (int o = 0; o < oc; o++) {
          int cell = (int) argcode[codeBase + q * oc + o];
          if (cell != deadCode) {
            g[w0 + ((cell / poolK) * gridW + cell % poolK) * oc + o] += dyTile[o * pq + q];
          }
        }
      }
    }
  }

  /** dx for a chunk: dcols = weight^T dY, then col2im (scatter-add into padded planes) per image. */
  private void backwardInput(FloatBuffer dxOut, FloatBuffer dyg, int first, int nb) {
    int oc = outChannels;
    int c = in.c();
    int ho = out.h();
    int wo = out.w();
    int ld = nb * grid;
    dcols = Buffers.ensure(dcols, (long) ckk * ld);
    // dcols (CKK, nb*grid) = weight^T (CKK, OC) * dY (OC, nb*grid), dY stored as dyg or dyg^T
    gemm.sgemm(true, poolK > 0, ckk, ld, oc, 1f, params, weight, ckk, dyg, 0, poolK > 0 ? oc : ld, 0f, dcols, 0, ld);
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
          System.arraycopy(xp, ch * plane + (i + pad) * wp + pad, imageTile, (ch * h + i) * w, w);
        }
      }
      dxOut.put(base, imageTile, 0, in.size());
    }
    // padInput only writes the interior: restore the zero borders it relies on
    java.util.Arrays.fill(xp, 0f);
  }
}
