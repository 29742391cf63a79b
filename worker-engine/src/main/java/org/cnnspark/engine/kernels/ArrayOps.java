package org.cnnspark.engine.kernels;

/**
 * Element-wise loops over heap arrays that C2 does not vectorise by itself: with two arrays at
 * unrelated offsets it cannot rule out overlap, so {@code dst[d+i] += src[s+i]} stays scalar
 * (measured: ~1 ns per element, 5x the vector version). When the JVM has the incubating Vector
 * API module ({@code --add-modules=jdk.incubator.vector}, which bin/cnn-spark and Spark 4 both
 * pass) the loops use it; otherwise, or with {@code -Dcnnspark.vector=false}, plain loops. Both
 * do the same float operations element by element, so the results are the same bits.
 * The layers' sums live here too, scalar, each with its fixed order of additions.
 */
public final class ArrayOps {
  /** Whether the Vector API path is on. */
  public static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !"false".equals(System.getProperty("cnnspark.vector"));

  private ArrayOps() {}

  /** dst[d, d+n) += src[s, s+n). */
  public static void addTo(float[] dst, int d, float[] src, int s, int n) {
    if (VECTOR) {
      VectorOps.addTo(dst, d, src, s, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      dst[d + i] += src[s + i];
    }
  }

  /**
   * a[0, n) = a > 0 ? a : 0 (NaN and -0 become 0). Scalar C2 code branches here, and on
   * activations the branch is a coin toss; the vector form is a compare and a blend.
   */
  public static void relu(float[] a, int n) {
    if (VECTOR) {
      VectorOps.relu(a, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      a[i] = a[i] > 0f ? a[i] : 0f;
    }
  }

  /** dy[0, n) = y > 0 ? dy : 0: ReLU's gradient given its output y. */
  public static void reluGradient(float[] y, float[] dy, int n) {
    if (VECTOR) {
      VectorOps.reluGradient(y, dy, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      dy[i] = y[i] > 0f ? dy[i] : 0f;
    }
  }

  /**
   * One row of 2x2 stride-2 max-pool windows over a channels-last grid (c floats per cell): window
   * w's cells start at g[top + 2wc], +c, +down, +down+c. For each window and channel,
   * out[o + wc + ch] = max + bias[ch] (0 with relu when not > 0) and code[k + wc + ch] = which
   * cell held the first maximum in row-major order (0-3, as PyTorch's argmax), or 4 when relu
   * zeroed the output (no gradient flows). The bias is added after the max: fl(v + b) is monotonic
   * in v, so the maximum is the same number, for a quarter of the additions.
   */
  public static void maxPool2x2Row(float[] g, int top, int down, int windows, int c, float[] bias, boolean relu,
                                   float[] out, int o, float[] code, int k) {
    if (VECTOR) {
      VectorOps.maxPool2x2Row(g, top, down, windows, c, bias, relu, out, o, code, k);
      return;
    }
    for (int w = 0; w < windows; w++) {
      int t = top + 2 * w * c;
      maxPool2x2Tail(g, t, t + c, t + down, t + down + c, 0, c, bias, relu, out, o + w * c, code, k + w * c);
    }
  }

  /** Channels [from, c) of one window: the scalar form of the vector loop, same operations. */
  static void maxPool2x2Tail(float[] g, int i0, int i1, int i2, int i3, int from, int c, float[] bias, boolean relu,
                             float[] out, int o, float[] code, int k) {
    for (int ch = from; ch < c; ch++) {
      float v0 = g[i0 + ch];
      float v1 = g[i1 + ch];
      float v2 = g[i2 + ch];
      float v3 = g[i3 + ch];
      float m01 = Math.max(v0, v1);
      float m23 = Math.max(v2, v3);
      float c01 = v1 > v0 ? 1f : 0f;
      float c23 = v3 > v2 ? 3f : 2f;
      boolean lower = m23 > m01;
      float m = (lower ? m23 : m01) + bias[ch];
      float cell = lower ? c23 : c01;
      boolean dead = relu && !(m > 0f);
      out[o + ch] = dead ? 0f : m;
      code[k + ch] = dead ? 4f : cell;
    }
  }

  /**
   * The gradient of {@link #maxPool2x2Row}: writes every cell of the row's windows (dense, so no
   * prior zeroing of them is needed): the cell named by the code gets dy, the other three 0. dy of
   * a window ReLU zeroed (code 4) is set to 0 in place, so dy is then what reached the pre-ReLU
   * maximum, whose sum over windows is the bias gradient.
   */
  public static void maxUnpool2x2Row(float[] dy, int d, float[] code, int k, float[] g, int top, int down,
                                     int windows, int c) {
    if (VECTOR) {
      VectorOps.maxUnpool2x2Row(dy, d, code, k, g, top, down, windows, c);
      return;
    }
    for (int w = 0; w < windows; w++) {
      int t = top + 2 * w * c;
      maxUnpool2x2Tail(dy, d + w * c, code, k + w * c, g, t, t + c, t + down, t + down + c, 0, c);
    }
  }

  static void maxUnpool2x2Tail(float[] dy, int d, float[] code, int k, float[] g, int i0, int i1, int i2, int i3,
                               int from, int c) {
    for (int ch = from; ch < c; ch++) {
      float v = dy[d + ch];
      float cell = code[k + ch];
      g[i0 + ch] = cell == 0f ? v : 0f;
      g[i1 + ch] = cell == 1f ? v : 0f;
      g[i2 + ch] = cell == 2f ? v : 0f;
      g[i3 + ch] = cell == 3f ? v : 0f;
      dy[d + ch] = cell == 4f ? 0f : v;
    }
  }

  // Sums. Each is one fixed order of float or double additions (scalar: a vector reduction would
  // reorder them), with independent partial sums so the loop is not one long dependency chain of
  // adds (~4 cycles each). The layers' gradients depend on these exact orders.

  /**
   * Sum of a[off, off+n): eight float partial sums, added in double at the end. For short runs
   * (a convolution's grid row, at most a few hundred floats), where float partials lose nothing that matters.
   */
  public static double sum(float[] a, int off, int n) {
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

  /**
   * sums[j] += the sum of column j of a (rows, cols), row-major: rows are added into the float row
   * {@code scratch} (cols long) with {@link #addTo}, which is flushed into the double sums every 256
   * rows so that long columns keep their precision.
   */
  public static void addColumnSums(float[] a, int rows, int cols, float[] scratch, double[] sums) {
    for (int r0 = 0; r0 < rows; r0 += 256) {
      java.util.Arrays.fill(scratch, 0, cols, 0f);
      for (int r = r0, end = Math.min(rows, r0 + 256); r < end; r++) {
        addTo(scratch, 0, a, r * cols, cols);
      }
      for (int j = 0; j < cols; j++) {
        sums[j] += scratch[j];
      }
    }
  }

  /** Sum of a[0, n) in double: four double partial sums. */
  public static double sumInDouble(float[] a, int n) {
    return sumInDouble(a, 0, n);
  }

  /** Sum of a[off, off + n) in double, as {@link #sumInDouble(float[], int)} sums a[0, n). */
  public static double sumInDouble(float[] a, int off, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int k = off;
    int end = off + n;
    for (; k + 3 < end; k += 4) {
      s0 += (double) a[k];
      s1 += (double) a[k + 1];
      s2 += (double) a[k + 2];
      s3 += (double) a[k + 3];
    }
    for (; k < end; k++) {
      s0 += (double) a[k];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Sum of (a[k] - mean)^2 over [0, n), in double: four double partial sums. */
  public static double sumSquaredDeviations(float[] a, int n, double mean) {
    return sumSquaredDeviations(a, 0, n, mean);
  }

  /** The same over [off, off + n). */
  public static double sumSquaredDeviations(float[] a, int off, int n, double mean) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int k = off;
    n += off;
    for (; k + 3 < n; k += 4) {
      double d0 = a[k] - mean;
      double d1 = a[k + 1] - mean;
      double d2 = a[k + 2] - mean;
      double d3 = a[k + 3] - mean;
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; k < n; k++) {
      double d = a[k] - mean;
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /**
   * Sum of dy[k] * (x[k] - mean) * invStd over [0, n): each product in float (batch norm's
   * dy * xhat), summed in double with four partial sums.
   */
  public static double sumTimesNormalized(float[] dy, float[] x, int n, float mean, float invStd) {
    return sumTimesNormalized(dy, x, 0, n, mean, invStd);
  }

  /** The same over [off, off + n) of both arrays. */
  public static double sumTimesNormalized(float[] dy, float[] x, int off, int n, float mean, float invStd) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int k = off;
    n += off;
    for (; k + 3 < n; k += 4) {
      s0 += dy[k] * (x[k] - mean) * invStd;
      s1 += dy[k + 1] * (x[k + 1] - mean) * invStd;
      s2 += dy[k + 2] * (x[k + 2] - mean) * invStd;
      s3 += dy[k + 3] * (x[k + 3] - mean) * invStd;
    }
    for (; k < n; k++) {
      s0 += dy[k] * (x[k] - mean) * invStd;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Describes the path for the kernel log line and, when it is off, the one setting that turns it on. */
  static String description() {
    if (VECTOR) {
      return "Vector API on";
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      return "Vector API off (-Dcnnspark.vector=false)";
    }
    return "Vector API off: this JVM lacks the jdk.incubator.vector module, and training is about 25% slower without"
        + " it; add --add-modules=jdk.incubator.vector to spark.driver.extraJavaOptions and"
        + " spark.executor.extraJavaOptions (Spark 4 adds it itself; Spark 3.5 does not)";
  }
}
