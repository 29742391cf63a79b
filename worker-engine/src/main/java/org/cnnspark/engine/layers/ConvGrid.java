package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.ArrayOps;

/**
 * The data layout under {@link Conv2d}'s GEMMs: padded planes, im2col of a chunk of images into
 * {@code cols} (patch, columns), and col2im, its inverse, from {@code dcols} back to dx.
 *
 * <p>Per image, the input is copied into zero-padded planes (K - 1 floats of slack per channel)
 * and the output is computed on a grid. For stride 1 the grid is HO rows of the padded width, so
 * each im2col row is ONE contiguous copy of the padded planes shifted by the tap {@code ki * paddedW + kj};
 * the extra columns per row are computed and dropped (their gradient is zero, so col2im may add
 * them anywhere). For stride > 1 the grid is HO x WO and im2col gathers element by element.
 *
 * <p>Images are processed in chunks whose grids sit side by side in one GEMM operand, because
 * OpenBLAS is far from its peak on one small image. How a batch splits into chunks depends only
 * on the shapes and the batch size, so a run is reproducible.
 */
final class ConvGrid {
  /**
   * GEMM width to aim for when chunking images: wide enough for OpenBLAS, small enough that a
   * chunk's im2col (conv2 of the tutorial CNN: 288 rows) stays in a core's L2. 512 rather than
   * 1024: same speed on one thread, 7-12% faster training on two, where cores share L3 and memory.
   */
  static final int TARGET_COLUMNS = Integer.getInteger("cnnspark.convColumns", 512);

  private final Shape in;
  private final int kernel;
  private final int stride;
  private final int pad;
  private final int outH;
  private final int outW;
  private final int paddedW;
  /** Floats per padded channel: (H + 2 pad) x paddedW, plus K - 1 of slack for the shifted copies. */
  private final int plane;
  final int gridWidth;
  final int gridSize;
  /** C * K * K: rows of cols. */
  final int patch;
  final int imagesPerChunk;

  /** One image's padded planes; during col2im, their gradient. Borders and slack are zero between uses. */
  private final float[] padded;
  /** One image of x or dx, read or written in one bulk copy (a copy per row costs ~10x more). */
  private final float[] image;
  private float[] gathered;
  private float[] dcolsTile;
  private FloatBuffer cols;
  private FloatBuffer dcols;

  ConvGrid(Shape in, Shape out, int kernel, int stride, int pad) {
    this.in = in;
    this.kernel = kernel;
    this.stride = stride;
    this.pad = pad;
    this.outH = out.h();
    this.outW = out.w();
    this.paddedW = in.w() + 2 * pad;
    this.plane = (in.h() + 2 * pad) * paddedW + kernel - 1;
    this.gridWidth = stride == 1 ? paddedW : outW;
    this.gridSize = outH * gridWidth;
    this.patch = in.c() * kernel * kernel;
    this.imagesPerChunk = Math.max(1, TARGET_COLUMNS / gridSize);
    this.padded = new float[in.c() * plane];
    this.image = new float[in.size()];
  }

  /** im2col's output, (patch, columns) for the last chunk; a GEMM operand. */
  FloatBuffer cols() {
    return cols;
  }

  /** col2im's input: (patch, columns) for a chunk of the given number of columns, for a GEMM to fill. */
  FloatBuffer dcols(int columns) {
    dcols = Buffers.ensure(dcols, (long) patch * columns);
    return dcols;
  }

  /**
   * Fills cols (patch, columns) for images [first, first + images) of x (N, C, H, W): image b's
   * grid is columns [b * gridSize, (b + 1) * gridSize). Returns columns = images * gridSize.
   */
  int im2col(FloatBuffer x, int first, int images) {
    int columns = images * gridSize;
    cols = Buffers.ensure(cols, (long) patch * columns);
    for (int b = 0; b < images; b++) {
      padImage(x, first + b);
      im2colImage(b * gridSize, columns);
    }
    return columns;
  }

  /** Copies image n of x into the interior of the padded planes (borders stay zero). */
  private void padImage(FloatBuffer x, int n) {
    int c = in.c();
    int h = in.h();
    int w = in.w();
    x.get(n * in.size(), image, 0, in.size());
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        System.arraycopy(image, (ch * h + i) * w, padded, ch * plane + (i + pad) * paddedW + pad, w);
      }
    }
  }

  /** cols rows (ch, ki, kj), columns [col, col + gridSize): the padded image seen through each tap. */
  private void im2colImage(int col, int columns) {
    int row = 0;
    if (stride != 1) {
      gathered = Layer.tile(gathered, gridSize);
    }
    for (int ch = 0; ch < in.c(); ch++) {
      for (int ki = 0; ki < kernel; ki++) {
        for (int kj = 0; kj < kernel; kj++, row++) {
          int src = ch * plane + ki * paddedW + kj;
          if (stride == 1) {
            cols.put(row * columns + col, padded, src, gridSize);
          } else {
            int d = 0;
            for (int i = 0; i < outH; i++) {
              int s = src + i * stride * paddedW;
              for (int j = 0; j < outW; j++) {
                gathered[d++] = padded[s + j * stride];
              }
            }
            cols.put(row * columns + col, gathered, 0, gridSize);
          }
        }
      }
    }
  }

  /**
   * The inverse of {@link #im2col}: scatter-adds dcols (patch, columns) of images [first, first +
   * images) onto their padded planes, tap by tap, and writes each image's interior into dx (N, C, H, W).
   */
  void col2im(FloatBuffer dx, int first, int images) {
    int columns = images * gridSize;
    dcolsTile = Layer.tile(dcolsTile, patch * columns);
    float[] dc = dcolsTile;
    dcols.get(0, dc, 0, patch * columns);
    int c = in.c();
    int h = in.h();
    int w = in.w();
    for (int b = 0; b < images; b++) {
      Arrays.fill(padded, 0f);
      int row = 0;
      for (int ch = 0; ch < c; ch++) {
        for (int ki = 0; ki < kernel; ki++) {
          for (int kj = 0; kj < kernel; kj++, row++) {
            int dst = ch * plane + ki * paddedW + kj;
            int src = row * columns + b * gridSize;
            if (stride == 1) {
              ArrayOps.addTo(padded, dst, dc, src, gridSize);
            } else {
              for (int i = 0; i < outH; i++) {
                int d = dst + i * stride * paddedW;
                for (int j = 0; j < outW; j++) {
                  padded[d + j * stride] += dc[src++];
                }
              }
            }
          }
        }
      }
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < h; i++) {
          System.arraycopy(padded, ch * plane + (i + pad) * paddedW + pad, image, (ch * h + i) * w, w);
        }
      }
      dx.put((first + b) * in.size(), image, 0, in.size());
    }
    // padImage writes only the interior: restore the zero borders and slack it relies on
    Arrays.fill(padded, 0f);
  }
}
