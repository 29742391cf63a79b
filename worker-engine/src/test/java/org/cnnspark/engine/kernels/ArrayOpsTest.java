package org.cnnspark.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("compat")
class ArrayOpsTest {
  @Test
  void theBuildRunsTheVectorPath() {
    // surefire passes --add-modules=jdk.incubator.vector (cnn.jvm.flags): the fast path must be the one tested
    assertTrue(ArrayOps.VECTOR, "surefire should run with --add-modules=jdk.incubator.vector");
  }

  @Test
  void vectorAddToGivesTheScalarLoopsBitsOnAwkwardLengthsAndOffsets() {
    Random r = new Random(7);
    for (int n : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 63, 224, 1001}) {
      for (int d : new int[] {0, 1, 5}) {
        float[] src = new float[n + 9];
        float[] dst = new float[n + 9];
        for (int i = 0; i < src.length; i++) {
          src[i] = (float) r.nextGaussian();
          dst[i] = (float) r.nextGaussian();
        }
        float[] want = dst.clone();
        for (int i = 0; i < n; i++) {
          want[d + i] += src[3 + i];
        }
        VectorOps.addTo(dst, d, src, 3, n);
        assertArrayEquals(want, dst, 0f, "n=" + n + " d=" + d);
      }
    }
  }

  @Test
  void addToLeavesEverythingOutsideTheRangeAlone() {
    float[] dst = new float[40];
    float[] src = new float[40];
    java.util.Arrays.fill(src, 1f);
    ArrayOps.addTo(dst, 4, src, 0, 19);
    for (int i = 0; i < 40; i++) {
      assertTrue(dst[i] == (i >= 4 && i < 23 ? 1f : 0f), "index " + i);
    }
  }

  /** A channels-last grid of rows x cols cells x c channels, with ties (many zeros, repeats) and a NaN. */
  private static float[] grid(Random r, int rows, int cols, int c) {
    float[] g = new float[rows * cols * c + 3];
    for (int i = 0; i < g.length; i++) {
      int kind = r.nextInt(4);
      g[i] = kind == 0 ? 0f : kind == 1 ? (float) r.nextInt(3) - 1 : (float) r.nextGaussian();
    }
    g[r.nextInt(g.length)] = Float.NaN;
    return g;
  }

  @Test
  void vectorMaxPoolAndUnpoolGiveTheScalarLoopsBitsOnAwkwardChannelCounts() {
    Random r = new Random(11);
    for (int c : new int[] {1, 3, 7, 8, 9, 16, 17, 32, 64}) {
      for (boolean relu : new boolean[] {false, true}) {
        int cols = 6;
        int windows = 3;
        float[] g = grid(r, 2, cols, c);
        float[] bias = new float[c];
        for (int i = 0; i < c; i++) {
          bias[i] = (float) r.nextGaussian() * 0.5f;
        }
        float[] outV = new float[windows * c + 2];
        float[] codeV = new float[windows * c + 5];
        float[] outS = outV.clone();
        float[] codeS = codeV.clone();
        VectorOps.maxPool2x2Row(g, 1, cols * c, windows, c, bias, relu, outV, 2, codeV, 2);
        for (int w = 0; w < windows; w++) {
          int t = 1 + 2 * w * c;
          ArrayOps.maxPool2x2Tail(g, t, t + c, t + cols * c, t + cols * c + c, 0, c, bias, relu, outS, 2 + w * c, codeS, 2 + w * c);
        }
        String what = "c=" + c + " relu=" + relu;
        assertArrayEquals(outS, outV, 0f, what);
        assertArrayEquals(codeS, codeV, 0f, what);

        float[] dy = new float[windows * c];
        for (int i = 0; i < dy.length; i++) {
          dy[i] = (float) r.nextGaussian();
        }
        float[] gV = new float[g.length];
        java.util.Arrays.fill(gV, 9f);
        float[] gS = gV.clone();
        float[] dyS = dy.clone();
        VectorOps.maxUnpool2x2Row(dy, 0, codeV, 2, gV, 1, cols * c, windows, c);
        for (int w = 0; w < windows; w++) {
          int t = 1 + 2 * w * c;
          ArrayOps.maxUnpool2x2Tail(dyS, w * c, codeS, 2 + w * c, gS, t, t + c, t + cols * c, t + cols * c + c, 0, c);
        }
        assertArrayEquals(dyS, dy, 0f, what);
        for (int i = 0; i < dy.length; i++) {
          assertTrue(codeS[2 + i] == 4f ? dy[i] == 0f : dy[i] != 0f, "dy of a dead window is zeroed, others kept: " + what);
        }
        assertArrayEquals(gS, gV, 0f, what);
      }
    }
  }

  @Test
  void maxPoolCodesNameTheFirstMaximumInRowMajorOrderAndReluKillsTheRest() {
    // one window per case, one channel: cells top-left, top-right, bottom-left, bottom-right
    float[][] cases = {{1, 5, 5, 0}, {0, 0, 0, 0}, {1, 2, 3, 3}, {3, 1, 3, 1}, {-1, -2, -3, -4}, {2, 2, 7, 1}};
    float[] wantCode = {1, 0, 2, 0, 0, 2};
    for (int i = 0; i < cases.length; i++) {
      float[] v = cases[i];
      float[] g = {v[0], v[1], v[2], v[3]};
      float[] out = new float[1];
      float[] code = new float[1];
      ArrayOps.maxPool2x2Row(g, 0, 2, 1, 1, new float[] {0.5f}, false, out, 0, code, 0);
      assertTrue(code[0] == wantCode[i], "case " + i + ": code " + code[0]);
      float max = Math.max(Math.max(v[0], v[1]), Math.max(v[2], v[3]));
      assertTrue(out[0] == max + 0.5f, "case " + i + ": out " + out[0]);
      ArrayOps.maxPool2x2Row(g, 0, 2, 1, 1, new float[] {0.5f}, true, out, 0, code, 0);
      boolean dead = !(max + 0.5f > 0f);
      assertTrue(code[0] == (dead ? 4f : wantCode[i]) && out[0] == (dead ? 0f : max + 0.5f), "relu case " + i);
    }
  }

  @Test
  void sumsAgreeWithADoubleLoopOnAwkwardLengths() {
    Random r = new Random(5);
    for (int n : new int[] {0, 1, 3, 4, 5, 7, 8, 9, 17, 255, 1001}) {
      float[] a = new float[n + 3];
      float[] b = new float[n + 3];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) r.nextGaussian();
        b[i] = (float) r.nextGaussian();
      }
      double sum = 0;
      double squares = 0;
      double products = 0;
      double sumAt3 = 0;
      for (int i = 0; i < n; i++) {
        sum += a[i];
        squares += (a[i] - 0.25) * (a[i] - 0.25);
        products += b[i] * (a[i] - 0.25f) * 2f;
        sumAt3 += a[3 + i];
      }
      String what = "n=" + n;
      assertEquals(sum, ArrayOps.sumInDouble(a, n), 1e-12 * (1 + n), what);
      assertEquals(squares, ArrayOps.sumSquaredDeviations(a, n, 0.25), 1e-12 * (1 + n), what);
      assertEquals(products, ArrayOps.sumTimesNormalized(b, a, n, 0.25f, 2f), 1e-12 * (1 + n), what);
      // float partial sums: float rounding per addition, and the range starts at the offset
      assertEquals(sumAt3, ArrayOps.sum(a, 3, n), 1e-6 * (1 + n), what);
    }
  }

  @Test
  void columnSumsAddOntoTheirTargetAcrossTheFlushEvery256Rows() {
    int rows = 600;
    int cols = 3;
    float[] a = new float[rows * cols];
    for (int i = 0; i < a.length; i++) {
      a[i] = i % cols + 1; // column j holds j + 1 in every row
    }
    double[] sums = {10, 20, 30};
    ArrayOps.addColumnSums(a, rows, cols, new float[cols], sums);
    assertArrayEquals(new double[] {10 + rows, 20 + 2 * rows, 30 + 3 * rows}, sums, 0);
  }
}
