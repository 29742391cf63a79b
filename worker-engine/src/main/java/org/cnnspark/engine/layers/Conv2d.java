package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.ArrayOps;

/**
 * 2-D convolution, as {@code nn.Conv2d(C, OC, K, stride, padding, bias)}.
 * x is (N, C, H, W), weight is (OC, C, K, K), seen as (OC, patch), bias is (OC), y is (N, OC, HO, WO),
 * or (N, OC, PH, PW) with a fused max pool. The dimension names are defined in the package doc.
 *
 * <p>im2col + GEMM, a chunk of images at a time: {@link ConvGrid} lays out the patches of the
 * chunk's images as the columns of cols (patch, columns), one GEMM with the weight computes every
 * output of the chunk on its grid, and the bias is added as the output is cut out of the grid.
 * Backward runs the same chunks: dY on the grid, then a GEMM each for dWeight and for dx (through
 * col2im). It redoes the chunk's im2col rather than keeping forward's for the whole batch: a
 * chunk stays in cache, the batch would not (keeping it made a training step ~15% slower); only
 * where the whole batch's cols are small does it keep them ({@link ConvGrid#reserve}).
 *
 * <p>Fused epilogue: when the network follows this layer with ReLU and/or a max pool without
 * padding, this layer applies them while the output is still in cache, and those layers pass
 * data through. A ReLU alone is one call here; a max pool is {@link ReluMaxPoolEpilogue}, for
 * which the GEMM writes the grid channels last. Either way the result is the separate layers'.
 */
public final class Conv2d extends Layer {
  private final int outChannels;
  private final int kernel;
  private final int stride;
  private final int pad;
  private final boolean hasBias;
  /** Where weight and bias start in params and grads (bias: -1 without one). */
  private int weight;
  private int bias = -1;
  private ConvGrid grid;
  /** The fused epilogue: a following ReLU, a following max pool (null: none), and y's shape per image. */
  private boolean fuseRelu;
  private ReluMaxPoolEpilogue pool;
  private Shape yShape;

  // scratch: the GEMM's output (a direct buffer, as GEMM operands are), the same on the heap for
  // element-wise work, one image of y or dy, one of y for the ReLU gradient, the bias as floats
  private FloatBuffer gemmOut;
  private float[] gridTile;
  private float[] image;
  private float[] yImage;
  private float[] biasValues;
  /** The weight's live-tap columns (OC, patch) and their gradient, when the grid leaves taps out. */
  private FloatBuffer packedWeight;
  private FloatBuffer packedGrad;

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
    grid = new ConvGrid(in, out, kernel, stride, pad);
    yShape = out;
  }

  /** Takes over a following ReLU and/or max pool (kernel poolK, stride poolS, no padding; poolK 0: none). */
  public void fuse(boolean relu, int poolK, int poolS) {
    fuseRelu = relu;
    pool = poolK == 0 ? null : new ReluMaxPoolEpilogue(grid, out, relu, poolK, poolS);
    yShape = pool == null ? out : pool.out;
  }

  @Override
  protected FloatBuffer outBuffer(int n) {
    y = Buffers.ensure(y, (long) n * yShape.size());
    return y;
  }

  /** Sizes the scratch for chunks of up to the given number of images. */
  private void ensureScratch(int images) {
    long columns = (long) images * grid.gridSize;
    gemmOut = Buffers.ensure(gemmOut, outChannels * columns);
    gridTile = tile(gridTile, (int) (outChannels * columns));
    image = tile(image, out.size());
    biasValues = tile(biasValues, outChannels);
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    this.x = x;
    FloatBuffer y = outBuffer(n);
    int oc = outChannels;
    int patch = grid.patch;
    ensureScratch(Math.min(grid.imagesPerChunk, n));
    for (int o = 0; o < oc; o++) {
      biasValues[o] = hasBias ? params.get(bias + o) : 0f;
    }
    if (pool != null) {
      pool.reserve(n);
    }
    FloatBuffer w = packWeights();
    int wOff = grid.packed() ? 0 : weight;
    grid.reserve(n, training);
    for (int first = 0; first < n; first += grid.imagesPerChunk) {
      int images = Math.min(grid.imagesPerChunk, n - first);
      int columns = grid.im2col(x, first, images);
      FloatBuffer cols = grid.cols();
      int cOff = grid.colsOffset(first);
      if (pool == null) {
        // Y (OC, columns) = weight (OC, patch) * cols (patch, columns): channels first, as y
        gemm.sgemm(false, false, oc, columns, patch, 1f, w, wOff, patch, cols, cOff, columns, 0f, gemmOut, 0, columns);
        gemmOut.get(0, gridTile, 0, oc * columns);
        addBiasAndRelu(first, images, y);
      } else {
        // Y (columns, OC) = cols^T (columns, patch) * weight^T (patch, OC): channels last, for the pool
        gemm.sgemm(true, true, columns, oc, patch, 1f, cols, cOff, columns, w, wOff, patch, 0f, gemmOut, 0, oc);
        gemmOut.get(0, gridTile, 0, oc * columns);
        pool.forward(gridTile, first, images, biasValues, y);
      }
    }
    return y;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    int oc = outChannels;
    int patch = grid.patch;
    boolean channelsLast = pool != null;
    ensureScratch(Math.min(grid.imagesPerChunk, n));
    FloatBuffer dx = needDx ? dxBuffer(n) : null;
    double[] dBias = hasBias ? new double[oc] : null;
    boolean packed = grid.packed();
    FloatBuffer w = packed ? packedWeight : params; // forward packed them; no step came between
    int wOff = packed ? 0 : weight;
    FloatBuffer g = grads;
    int gOff = weight;
    if (packed) {
      packedGrad = Buffers.ensure(packedGrad, (long) oc * patch);
      Buffers.zero(packedGrad, 0, oc * patch);
      g = packedGrad;
      gOff = 0;
    }
    for (int first = 0; first < n; first += grid.imagesPerChunk) {
      int images = Math.min(grid.imagesPerChunk, n - first);
      int columns = images * grid.gridSize;
      if (pool == null) {
        biasAndReluGradient(dy, first, images, dBias);
      } else {
        pool.backward(dy, first, images, gridTile, dBias);
      }
      FloatBuffer dY = gemmOut; // forward's output is free now: reuse it for dY
      dY.put(0, gridTile, 0, oc * columns);
      if (!grid.kept()) {
        grid.im2col(x, first, images);
      }
      int ldY = channelsLast ? oc : columns;
      // dWeight (OC, patch) += dY (OC, columns) * cols^T (columns, patch), dY stored (columns, OC) when channels last
      gemm.sgemm(channelsLast, true, oc, patch, columns, 1f, dY, 0, ldY, grid.cols(), grid.colsOffset(first), columns, 1f,
          g, gOff, patch);
      if (needDx) {
        // dcols (patch, columns) = weight^T (patch, OC) * dY (OC, columns), then col2im into dx
        gemm.sgemm(true, channelsLast, patch, columns, oc, 1f, w, wOff, patch, dY, 0, ldY, 0f, grid.dcols(columns), 0, columns);
        grid.col2im(dx, first, images);
      }
    }
    if (packed) {
      movePackedGradient();
    }
    if (hasBias) {
      for (int o = 0; o < oc; o++) {
        grads.put(bias + o, grads.get(bias + o) + (float) dBias[o]);
      }
    }
    return dx;
  }

  /** The weight as the GEMMs take it: params itself, or its live-tap columns packed (OC, patch). */
  private FloatBuffer packWeights() {
    if (!grid.packed()) {
      return params;
    }
    int[] taps = grid.liveTaps;
    int full = kernel * kernel;
    int c = in.c();
    float[] row = new float[c * full];
    float[] packedRow = new float[grid.patch];
    packedWeight = Buffers.ensure(packedWeight, (long) outChannels * grid.patch);
    for (int o = 0; o < outChannels; o++) {
      params.get(weight + o * c * full, row, 0, c * full);
      for (int ch = 0, d = 0; ch < c; ch++) {
        for (int t : taps) {
          packedRow[d++] = row[ch * full + t];
        }
      }
      packedWeight.put(o * grid.patch, packedRow, 0, grid.patch);
    }
    return packedWeight;
  }

  /** Adds the packed weight gradient into the live taps' places in grads (dead taps' gradient is 0). */
  private void movePackedGradient() {
    int[] taps = grid.liveTaps;
    int full = kernel * kernel;
    int c = in.c();
    float[] row = new float[c * full];
    float[] packedRow = new float[grid.patch];
    for (int o = 0; o < outChannels; o++) {
      grads.get(weight + o * c * full, row, 0, c * full);
      packedGrad.get(o * grid.patch, packedRow, 0, grid.patch);
      for (int ch = 0, d = 0; ch < c; ch++) {
        for (int t : taps) {
          row[ch * full + t] += packedRow[d++];
        }
      }
      grads.put(weight + o * c * full, row, 0, c * full);
    }
  }

  /**
   * y of images [first, first + images) = their grids (OC, columns) cut to HO x WO, plus bias,
   * then the fused ReLU.
   */
  private void addBiasAndRelu(int first, int images, FloatBuffer y) {
    int columns = images * grid.gridSize;
    int ho = out.h();
    int wo = out.w();
    for (int b = 0; b < images; b++) {
      for (int o = 0; o < outChannels; o++) {
        float bo = biasValues[o];
        int d = o * ho * wo;
        for (int i = 0; i < ho; i++) {
          int r = o * columns + b * grid.gridSize + i * grid.gridWidth;
          for (int j = 0; j < wo; j++) {
            image[d + i * wo + j] = gridTile[r + j] + bo;
          }
        }
      }
      if (fuseRelu) {
        ArrayOps.relu(image, out.size());
      }
      y.put((first + b) * out.size(), image, 0, out.size());
    }
  }

  /**
   * Its gradient: dY on the chunk's grids (OC, columns) = dy through the fused ReLU, the dropped
   * grid columns 0; dBias (OC) += the sum of dY (null: no bias).
   */
  private void biasAndReluGradient(FloatBuffer dy, int first, int images, double[] dBias) {
    int columns = images * grid.gridSize;
    int ho = out.h();
    int wo = out.w();
    Arrays.fill(gridTile, 0, outChannels * columns, 0f);
    for (int b = 0; b < images; b++) {
      int img = first + b;
      dy.get(img * out.size(), image, 0, out.size());
      if (fuseRelu) {
        yImage = tile(yImage, out.size());
        y.get(img * out.size(), yImage, 0, out.size());
        ArrayOps.reluGradient(yImage, image, out.size());
      }
      for (int o = 0; o < outChannels; o++) {
        for (int i = 0; i < ho; i++) {
          System.arraycopy(image, (o * ho + i) * wo, gridTile, o * columns + b * grid.gridSize + i * grid.gridWidth, wo);
        }
      }
    }
    if (dBias != null) {
      for (int o = 0; o < outChannels; o++) {
        dBias[o] += ArrayOps.sum(gridTile, o * columns, columns);
      }
    }
  }
}
