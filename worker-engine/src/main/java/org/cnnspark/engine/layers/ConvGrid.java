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
 * them anywhere). For stride > 1, and for small planes where the padded width would waste over a
 * fifth of the GEMM (a ResNet's 8x8 to 1x1 planes: up to 3x), the grid is HO x WO and im2col
 * gathers element by element. There, taps that see only padding for every output (8 of 9 on a
 * 1x1 plane) are left out of cols: the patch holds the live taps only, and Conv2d packs the
 * weight's columns to match.
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
  /** Whether im2col is one contiguous copy per row (stride 1, padded-width grid). */
  private final boolean contiguous;
  /** Taps ki * K + kj that see the image for some output, in order; all K * K when contiguous. */
  final int[] liveTaps;
  /** C * live taps: rows of cols (C * K * K unless some taps are dead). */
  final int patch;
  final int imagesPerChunk;

  /** One image's padded planes; during col2im, their gradient. Borders and slack are zero between uses. */
  private final float[] padded;
  /** One image of x or dx, read or written in one bulk copy (a copy per row costs ~10x more). */
  private final float[] image;
  private float[] gathered;
  /**
   * Stride 2 with several live taps (a ResNet's 7x7 stem, its 3x3 downsampling convolutions): the
   * padded planes split by row and column parity, so that every tap reads whole output rows
   * contiguously (one copy per row instead of a strided gather per element; same values).
   */
  private final boolean phased;
  private final int phaseH;
  private final int phaseW;
  private final float[] phases;
  /** A chunk's cols on the heap, when rows are short (see im2col). */
  private float[] colsTile;
  /** Grids smaller than this many floats are gathered on the heap first. */
  private static final int TILED_ROWS = 256;
  private float[] dcolsTile;
  private FloatBuffer cols;
  private FloatBuffer dcols;
  /**
   * Training keeps every chunk's cols from forward for backward, instead of redoing im2col there,
   * where output rows are shorter than KEEP_WIDTH (im2col copies a few floats at a time: a ResNet's
   * late planes) and the whole batch's take at most KEEP_FLOATS. Wider planes gain nothing from it:
   * the tutorial CNN's conv2 (8 to 10 wide) trained 2-6% slower.
   */
  private static final int KEEP_WIDTH = 8;
  private static final long KEEP_FLOATS = 2L << 20;
  private boolean keeping;

  ConvGrid(Shape in, Shape out, int kernel, int stride, int pad) {
    this.in = in;
    this.kernel = kernel;
    this.stride = stride;
    this.pad = pad;
    this.outH = out.h();
    this.outW = out.w();
    this.paddedW = in.w() + 2 * pad;
    this.plane = (in.h() + 2 * pad) * paddedW + kernel - 1;
    this.contiguous = stride == 1 && paddedW * 10 <= outW * 13;
    this.gridWidth = contiguous ? paddedW : outW;
    this.gridSize = outH * gridWidth;
    this.liveTaps = contiguous ? allTaps(kernel) : liveTaps(in, kernel, stride, pad, outH, outW);
    this.patch = in.c() * liveTaps.length;
    this.imagesPerChunk = Math.max(1, TARGET_COLUMNS / gridSize);
    this.phased = stride == 2 && !contiguous && liveTaps.length >= 4;
    this.phaseH = (in.h() + 2 * pad + 1) / 2;
    this.phaseW = (paddedW + 1) / 2;
    this.phases = phased ? new float[in.c() * 4 * phaseH * phaseW] : null;
    this.padded = new float[in.c() * plane];
    this.image = new float[in.size()];
  }

  private static int[] allTaps(int k) {
    int[] t = new int[k * k];
    for (int i = 0; i < t.length; i++) {
      t[i] = i;
    }
    return t;
  }

  /** Taps (ki, kj) for which some output row reads an input row, and some output column an input column. */
  private static int[] liveTaps(Shape in, int k, int stride, int pad, int outH, int outW) {
    return java.util.stream.IntStream.range(0, k * k)
        .filter(t -> sees(t / k, stride, pad, outH, in.h()) && sees(t % k, stride, pad, outW, in.w())).toArray();
  }

  private static boolean sees(int tap, int stride, int pad, int outputs, int size) {
    for (int o = 0; o < outputs; o++) {
      int i = o * stride - pad + tap;
      if (i >= 0 && i < size) {
        return true;
      }
    }
    return false;
  }

  /** Whether some taps are left out, so the weight must be packed to the live ones. */
  boolean packed() {
    return liveTaps.length < kernel * kernel;
  }

  /** im2col's output, (patch, columns) for the last chunk at {@link #colsOffset}; a GEMM operand. */
  FloatBuffer cols() {
    return cols;
  }

  /**
   * Called before a forward pass of n images: whether this pass keeps its cols for backward
   * ({@link #kept}); only a training pass does.
   */
  void reserve(int n, boolean training) {
    keeping = training && outW < KEEP_WIDTH && (long) patch * gridSize * n <= KEEP_FLOATS;
    if (keeping) {
      cols = Buffers.ensure(cols, (long) patch * gridSize * n);
    }
  }

  /** Whether forward kept the cols of every chunk, so backward need not redo im2col. */
  boolean kept() {
    return keeping;
  }

  /** Where in cols the chunk starting at image first lies. */
  int colsOffset(int first) {
    return keeping ? first * gridSize * patch : 0;
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
    int base = colsOffset(first);
    cols = Buffers.ensure(cols, (long) base + (long) patch * columns);
    // Short rows (a ResNet's small planes) go to a heap tile and into cols in one copy: a put
    // into a direct buffer per row of 1-80 floats cost more than the copying itself.
    boolean tiled = gridSize < TILED_ROWS;
    if (tiled) {
      colsTile = Layer.tile(colsTile, patch * columns);
    }
    for (int b = 0; b < images; b++) {
      if (phased) {
        phaseImage(x, first + b);
      } else {
        padImage(x, first + b);
      }
      im2colImage(base, b * gridSize, columns, tiled);
    }
    if (tiled) {
      cols.put(base, colsTile, 0, patch * columns);
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

  /**
   * cols rows (ch, live tap), columns [col, col + gridSize): the padded image seen through each
   * tap; written to colsTile instead when {@code tiled}.
   */
  private void im2colImage(int base, int col, int columns, boolean tiled) {
    int row = 0;
    float[] out = tiled ? colsTile : Layer.tile(gathered, gridSize);
    gathered = tiled ? gathered : out;
    for (int ch = 0; ch < in.c(); ch++) {
      for (int tap : liveTaps) {
        int ki = tap / kernel;
        int kj = tap % kernel;
        int src = ch * plane + ki * paddedW + kj;
        int d = tiled ? row * columns + col : 0;
        if (contiguous && tiled) {
          System.arraycopy(padded, src, out, d, gridSize);
        } else if (contiguous) {
          cols.put(base + row * columns + col, padded, src, gridSize);
        } else {
          if (phased) {
            // output (i, j) reads padded (2i + ki, 2j + kj): phase (ki & 1, kj & 1) at (i + ki / 2, j + kj / 2)
            int p = ((ch * 4 + (ki & 1) * 2 + (kj & 1)) * phaseH + (ki >> 1)) * phaseW + (kj >> 1);
            copyRows(phases, p, phaseW, out, d);
          } else if (stride == 1) {
            copyRows(padded, src, paddedW, out, d);
          } else {
            for (int i = 0; i < outH; i++) {
              int s = src + i * stride * paddedW;
              for (int j = 0; j < outW; j++) {
                out[d++] = padded[s + j * stride];
              }
            }
          }
          if (!tiled) {
            cols.put(base + row * columns + col, out, 0, gridSize);
          }
        }
        row++;
      }
    }
  }

  /** outH rows of outW floats, rows {@code step} apart in from, one after another into to. */
  private void copyRows(float[] from, int s, int step, float[] to, int d) {
    if (outW >= 16) {
      for (int i = 0; i < outH; i++, s += step, d += outW) {
        System.arraycopy(from, s, to, d, outW);
      }
    } else { // an arraycopy's fixed cost exceeds copying a few floats
      for (int i = 0; i < outH; i++, s += step) {
        for (int j = 0; j < outW; j++) {
          to[d++] = from[s + j];
        }
      }
    }
  }

  /**
   * phases[ch][row parity][column parity] = the rows and columns of that parity of image n's padded
   * planes, written straight from x; the padding's places are never written, so stay zero.
   */
  private void phaseImage(FloatBuffer x, int n) {
    int c = in.c();
    int h = in.h();
    int w = in.w();
    x.get(n * in.size(), image, 0, in.size());
    int phase = phaseH * phaseW;
    int evenJ = pad & 1; // padded column j + pad is even
    int oddJ = 1 - evenJ;
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        int r = i + pad;
        int even = ((ch * 4 + (r & 1) * 2) * phaseH + (r >> 1)) * phaseW;
        int s = (ch * h + i) * w;
        for (int j = evenJ, d = even + ((evenJ + pad) >> 1); j < w; j += 2, d++) {
          phases[d] = image[s + j];
        }
        for (int j = oddJ, d = even + phase + ((oddJ + pad) >> 1); j < w; j += 2, d++) {
          phases[d] = image[s + j];
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
        for (int tap : liveTaps) {
          int ki = tap / kernel;
          int kj = tap % kernel;
          {
            int dst = ch * plane + ki * paddedW + kj;
            int src = row++ * columns + b * gridSize;
            if (contiguous) {
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
