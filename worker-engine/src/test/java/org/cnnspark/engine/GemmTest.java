package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both GEMM backends against a double-precision triple loop written here, on awkward sizes, all
 * four transpositions, alpha and beta of 0, 1 and other values, offsets into the buffers and
 * leading dimensions wider than the rows. The tolerance is the textbook forward error bound of a
 * float dot product, (k + 2) u (|alpha| |A| |B| + |beta| |C|) with u = 2^-24, doubled: any
 * wrong index, transposition or scaling is far outside it. Floats outside the C matrix (before the
 * offset, between rows, after the end) must come back untouched.
 */
@Tag("compat")
class GemmTest {
  private static Gemm backend(String name) {
    return Probe.backend(name);
  }

  static Stream<Arguments> sizes() {
    int[][] mnk = {
        {1, 1, 1}, {1, 7, 3}, {3, 1, 7}, {7, 3, 1}, {3, 7, 5}, {17, 33, 7}, {33, 17, 65},
        {65, 3, 17}, {1, 127, 33}, {127, 1, 65}, {33, 65, 127}, {127, 65, 33}, {17, 17, 1},
        {64, 128, 96}, {130, 70, 9}};
    Stream.Builder<Arguments> b = Stream.builder();
    for (String backend : new String[] {"java", "native", "dnnl"}) {
      for (int[] s : mnk) {
        b.add(Arguments.of(backend, s[0], s[1], s[2]));
      }
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
  @MethodSource("sizes")
  void matchesDoublePrecisionReference(String backendName, int m, int n, int k) {
    Gemm gemm = backend(backendName);
    SplittableRandom rng = new SplittableRandom(m * 10_000L + n * 100L + k);
    float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {-0.7f, 0.3f}, {0f, 1.5f}, {0f, 0f}, {2.5f, -1f}, {1f, 0.5f}};
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (float[] ab : alphaBeta) {
          // leading dimensions 0..3 floats wider than a row, offsets 0..4: every combination moves
          int lda = (ta ? m : k) + rng.nextInt(4);
          int ldb = (tb ? k : n) + rng.nextInt(4);
          int ldc = n + rng.nextInt(4);
          int aOff = rng.nextInt(5);
          int bOff = rng.nextInt(5);
          int cOff = rng.nextInt(5);
          String what = backendName + " m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb
              + " alpha=" + ab[0] + " beta=" + ab[1] + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
              + " offsets=" + aOff + "/" + bOff + "/" + cOff;
          run(gemm, what, ta, tb, m, n, k, ab[0], ab[1], lda, ldb, ldc, aOff, bOff, cOff, rng);
        }
      }
    }
  }

  /** Runs one sgemm on random operands and checks every float of C's buffer. */
  static void run(Gemm gemm, String what, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
                  int lda, int ldb, int ldc, int aOff, int bOff, int cOff, SplittableRandom rng) {
    int aRows = ta ? k : m;
    int bRows = tb ? n : k;
    float[] a = random(aOff + aRows * lda + 3, rng);
    float[] b = random(bOff + bRows * ldb + 3, rng);
    float[] c0 = random(cOff + m * ldc + 3, rng);
    if (beta == 0f) {
      // BLAS: with beta = 0, C is written, never read (0 * NaN would be NaN)
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          c0[cOff + i * ldc + j] = Float.NaN;
        }
      }
    }
    FloatBuffer c = Buffers.of(c0);
    gemm.sgemm(ta, tb, m, n, k, alpha, Buffers.of(a), aOff, lda, Buffers.of(b), bOff, ldb, beta, c, cOff, ldc);
    float[] got = Buffers.toArray(c, c0.length);
    for (int idx = 0; idx < c0.length; idx++) {
      int rel = idx - cOff;
      int i = Math.floorDiv(rel, ldc);
      int j = rel - i * ldc;
      if (rel < 0 || i >= m || j >= n) {
        if (Float.floatToRawIntBits(got[idx]) != Float.floatToRawIntBits(c0[idx])) {
          fail(what + ": float " + idx + " lies outside C but changed from " + c0[idx] + " to " + got[idx]);
        }
        continue;
      }
      double dot = 0;
      double mag = 0;
      for (int p = 0; p < k; p++) {
        double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        dot += av * bv;
        mag += Math.abs(av * bv);
      }
      double cv = beta == 0f ? 0 : c0[idx];
      double expected = alpha * dot + (beta == 0f ? 0 : beta * cv);
      double bound = 2 * (k + 2) * 0x1p-24 * (Math.abs(alpha) * mag + Math.abs(beta) * Math.abs(cv)) + 1e-30;
      if (!(Math.abs(got[idx] - expected) <= bound)) {
        fail(what + ": C[" + i + "][" + j + "] = " + got[idx] + ", expected " + expected + " (error bound " + bound + ")");
      }
    }
  }

  static float[] random(int n, SplittableRandom rng) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }

  /** Degenerate sizes the engine can produce: nothing to do (m or n = 0), or C = beta C (k = 0). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void emptyDimensions(String backendName) {
    Gemm gemm = backend(backendName);
    SplittableRandom rng = new SplittableRandom(1);
    run(gemm, backendName + " m=0", false, false, 0, 5, 3, 1f, 0f, 3, 5, 5, 0, 0, 0, rng);
    run(gemm, backendName + " n=0", true, false, 4, 0, 3, 1f, 1f, 4, 1, 1, 0, 0, 0, rng);
    run(gemm, backendName + " k=0", false, true, 4, 5, 0, 1f, 0.5f, 1, 1, 5, 2, 1, 3, rng);
  }

  static Stream<String> backends() {
    return Stream.of("java", "native", "dnnl");
  }

  /** The interface promises identical bits for identical inputs (determinism rests on it). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void sameInputsGiveTheSameBits(String backendName) {
    Gemm gemm = backend(backendName);
    SplittableRandom rng = new SplittableRandom(2);
    int m = 67;
    int n = 129;
    int k = 45;
    FloatBuffer a = Buffers.of(random(m * k, rng));
    FloatBuffer b = Buffers.of(random(k * n, rng));
    float[] first = null;
    for (int rep = 0; rep < 3; rep++) {
      FloatBuffer c = Buffers.allocate(m * n);
      gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
      float[] got = Buffers.toArray(c, m * n);
      if (first == null) {
        first = got;
      } else {
        assertArrayEquals(first, got, backendName + " run " + rep);
      }
    }
  }

  /** The backends agree with the Java one as closely as float summation order allows. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"native", "dnnl"})
  void javaAndNativeAgree(String backendName) {
    Gemm java = backend("java");
    Gemm nat = backend(backendName);
    SplittableRandom rng = new SplittableRandom(3);
    int m = 65;
    int n = 33;
    int k = 127;
    float[] a = random(k * m + 5, rng);
    float[] b = random(n * k + 2, rng);
    float[] c = random(m * (n + 1) + 4, rng);
    FloatBuffer c1 = Buffers.of(c);
    FloatBuffer c2 = Buffers.of(c);
    java.sgemm(true, true, m, n, k, 0.75f, Buffers.of(a), 5, m, Buffers.of(b), 2, k, -0.5f, c1, 4, n + 1);
    nat.sgemm(true, true, m, n, k, 0.75f, Buffers.of(a), 5, m, Buffers.of(b), 2, k, -0.5f, c2, 4, n + 1);
    for (int i = 0; i < c.length; i++) {
      assertEquals(c1.get(i), c2.get(i), 1e-4 * Math.max(1, Math.abs(c1.get(i))), "C float " + i);
    }
  }

  @Test
  void backendsByNameAndTheChosenOne() {
    assertEquals("java", Kernels.byName("java").name());
    assertEquals("java", Kernels.byName("JAVA").name());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.byName("cuda"));
    assertTrue(e.getMessage().contains("unknown kernel backend 'cuda'") && e.getMessage().contains("dnnl, openblas or java"), e.getMessage());
    String d = Kernels.description();
    assertTrue(d.startsWith("cnn-spark kernels: " + Kernels.gemm().name() + " ("), d);
    Gemm blas = backend("native");
    assertTrue(blas.name().startsWith("openblas"), blas.name());
    assertEquals(blas.name(), Kernels.byName("openblas").name());
    Gemm dnnl = backend("dnnl");
    assertTrue(dnnl.name().startsWith("dnnl-"), dnnl.name());
    assertEquals(dnnl.name(), Kernels.byName("onednn").name());
    if ("amd64".equals(System.getProperty("os.arch")) && System.getProperty("cnnspark.kernels") == null) {
      assertEquals(dnnl.name(), Kernels.gemm().name(), "x86-64 picks oneDNN: " + d);
    }
  }
}
