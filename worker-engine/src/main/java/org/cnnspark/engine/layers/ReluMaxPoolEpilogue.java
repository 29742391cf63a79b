package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.ArrayOps;

/**
 * {@link Conv2d}'s fused epilogue when a max pool without padding follows it, with or without a
 * ReLU between: y = maxpool(relu(conv + bias)), from the grid the GEMM wrote channels last,
 * (columns, OC), to y (N, OC, PH, PW). Each step is written next to its inverse.
 *
 * <p>Why channels last: the common 2x2 stride-2 pool and its gradient then run along channels in
 * whole vectors ({@link ArrayOps#maxPool2x2Row}, ~4x faster than a strided scalar pool), and only
 * the pooled outputs are transposed to channels first. The result is the separate layers' one:
 * max(relu(v)) = relu(max(v)); the bias is added after the max, since fl(v + b) is monotonic in v;
 * ties keep PyTorch's first maximum. Forward keeps a window code per pooled output for backward.
 */
final class ReluMaxPoolEpilogue {
  private final int channels;
  private final int convOutH;
  private final int gridWidth;
  private final int gridSize;
  private final boolean relu;
  private final int kernel;
  private final int stride;
  private final int pooledH;
  private final int pooledW;
  /** y's shape per image: (OC, PH, PW). */
  final Shape out;
  /** Per image, channels last (PH * PW, OC): the window code of each output of the last forward. */
  private float[] codes;
  /** One image of y or dy, channels first (OC, PH, PW), and the same channels last (PH * PW, OC). */
  private final float[] image;
  private final float[] pooled;
  private final float[] columnSums;

  ReluMaxPoolEpilogue(ConvGrid grid, Shape convOut, boolean relu, int kernel, int stride) {
    this.channels = convOut.c();
    this.convOutH = convOut.h();
    this.gridWidth = grid.gridWidth;
    this.gridSize = grid.gridSize;
    this.relu = relu;
    this.kernel = kernel;
    this.stride = stride;
    this.pooledH = (convOut.h() - kernel) / stride + 1;
    this.pooledW = (convOut.w() - kernel) / stride + 1;
    this.out = new Shape(channels, pooledH, pooledW);
    this.image = new float[out.size()];
    this.pooled = new float[out.size()];
    this.columnSums = new float[channels];
  }

  /** Sizes the window codes for a batch of n images, before its first chunk. */
  void reserve(int n) {
    codes = Layer.tile(codes, n * out.size());
  }

  /** The vectorised case: 2x2 windows, stride 2. */
  private boolean twoByTwo() {
    return kernel == 2 && stride == 2;
  }

  /** Forward of images [first, first + images) of a chunk: their grid (columns, OC) to y (N, OC, PH, PW). */
  void forward(float[] grid, int first, int images, float[] bias, FloatBuffer y) {
    for (int b = 0; b < images; b++) {
      int img = first + b;
      if (twoByTwo()) {
        pool2x2(grid, b * gridSize * channels, bias, img);
      } else {
        pool(grid, b * gridSize * channels, bias, img);
      }
      y.put(img * out.size(), image, 0, out.size());
    }
  }

  /**
   * Backward of the same chunk: dy (N, OC, PH, PW) to dY on the grid (columns, OC), every cell of
   * the chunk written (cells no window reads get 0); dBias (OC) += the sum of dY over the chunk,
   * unless dBias is null (a conv without bias).
   */
  void backward(FloatBuffer dy, int first, int images, float[] grid, double[] dBias) {
    for (int b = 0; b < images; b++) {
      int img = first + b;
      dy.get(img * out.size(), image, 0, out.size());
      if (twoByTwo()) {
        unpool2x2(grid, b * gridSize * channels, img, dBias);
      } else {
        Arrays.fill(grid, b * gridSize * channels, (b + 1) * gridSize * channels, 0f);
        unpool(grid, b * gridSize * channels, img);
      }
    }
    if (dBias != null && !twoByTwo()) {
      ArrayOps.addColumnSums(grid, images * gridSize, channels, columnSums, dBias);
    }
  }

  /** 2x2 pool of one image's grid at base, row of windows by row, then transposed into image. */
  private void pool2x2(float[] grid, int base, float[] bias, int img) {
    int rowLength = gridWidth * channels;
    for (int pi = 0; pi < pooledH; pi++) {
      int row = pi * pooledW * channels;
      ArrayOps.maxPool2x2Row(grid, base + 2 * pi * rowLength, rowLength, pooledW, channels, bias, relu,
          pooled, row, codes, img * out.size() + row);
    }
    transpose(pooled, image, pooledH * pooledW, channels);
  }

  /**
   * Its gradient: image (dy) transposed to channels last, then each window's cells written from
   * its code. The dy that reached the pre-ReLU maxima (maxUnpool2x2Row zeroes the rest) sums to
   * dBias: a quarter of the grid's rows, the same sum.
   */
  private void unpool2x2(float[] grid, int base, int img, double[] dBias) {
    int rowLength = gridWidth * channels;
    transpose(image, pooled, channels, pooledH * pooledW);
    zeroOutsideWindows(grid, base, 2 * pooledH, 2 * pooledW);
    for (int pi = 0; pi < pooledH; pi++) {
      int row = pi * pooledW * channels;
      ArrayOps.maxUnpool2x2Row(pooled, row, codes, img * out.size() + row, grid, base + 2 * pi * rowLength,
          rowLength, pooledW, channels);
    }
    if (dBias != null) {
      ArrayOps.addColumnSums(pooled, pooledH * pooledW, channels, columnSums, dBias);
    }
  }

  /** Zeroes the cells of one image's grid no 2x2 window covers: grid columns >= cols and rows >= rows. */
  private void zeroOutsideWindows(float[] grid, int base, int rows, int cols) {
    for (int i = 0; i < convOutH; i++) {
      int r = base + i * gridWidth * channels;
      Arrays.fill(grid, i < rows ? r + cols * channels : r, r + gridWidth * channels, 0f);
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
   * Any other pool window of one image's grid at base, into image; the window code of each output
   * is the cell a * kernel + b of its first maximum, or kernel^2 when the ReLU zeroed it.
   * Conditional moves, not branches: on real activations "v > m" is a coin toss.
   */
  private void pool(float[] grid, int base, float[] bias, int img) {
    int plane = pooledH * pooledW;
    float deadCode = kernel * kernel;
    for (int pi = 0; pi < pooledH; pi++) {
      for (int pj = 0; pj < pooledW; pj++) {
        int pos = pi * pooledW + pj;
        int window = base + (pi * stride * gridWidth + pj * stride) * channels;
        for (int o = 0; o < channels; o++) {
          float m = grid[window + o];
          float cell = 0f;
          for (int a = 0; a < kernel; a++) {
            for (int b = 0; b < kernel; b++) {
              float v = grid[window + (a * gridWidth + b) * channels + o];
              boolean gt = v > m; // strict: the first maximum wins, as in PyTorch
              cell = gt ? a * kernel + b : cell;
              m = gt ? v : m;
            }
          }
          m += bias[o];
          boolean dead = relu && !(m > 0f);
          image[o * plane + pos] = dead ? 0f : m;
          codes[img * out.size() + pos * channels + o] = dead ? deadCode : cell;
        }
      }
    }
  }

  /** Its gradient: scatter-adds image (dy, channels first) into the zeroed grid through the window codes. */
  private void unpool(float[] grid, int base, int img) {
    int plane = pooledH * pooledW;
    int deadCode = kernel * kernel;
    for (int pi = 0; pi < pooledH; pi++) {
      for (int pj = 0; pj < pooledW; pj++) {
        int pos = pi * pooledW + pj;
        int window = base + (pi * stride * gridWidth + pj * stride) * channels;
        for (int o = 0; o < channels; o++) {
          int cell = (int) codes[img * out.size() + pos * channels + o];
          if (cell != deadCode) {
            grid[window + ((cell / kernel) * gridWidth + cell % kernel) * channels + o] += image[o * plane + pos];
          }
        }
      }
    }
  }
}
