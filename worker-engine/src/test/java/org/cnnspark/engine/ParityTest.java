package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The native kernels against the pure-Java oracle on awkward shapes: GEMM, then every layer via whole networks. */
class ParityTest {
  private static Gemm java;
  private static Gemm blas;

  @BeforeAll
  static void load() {
    java = Kernels.byName("java");
    try {
      blas = Kernels.byName("native");
    } catch (Throwable t) {
      blas = null;
    }
  }

  private static void needNative() {
    assumeTrue(blas != null, "native OpenBLAS did not load on this platform (linux-x86_64 and linux-arm64 are bundled)");
  }

  static FloatBuffer random(int n, SplittableRandom rng) {
    FloatBuffer b = Buffers.allocate(n);
    for (int i = 0; i < n; i++) {
      b.put(i, (float) rng.nextGaussian());
    }
    return b;
  }

  @ParameterizedTest(name = "m={0} n={1} k={2}")
  @CsvSource({"1,1,1", "3,7,5", "17,1,33", "33,65,7", "65,17,127", "127,33,1", "8,128,64"})
  void gemmMatchesJavaForAllTranspositionsAndOffsets(int m, int n, int k) {
    needNative();
    SplittableRandom rng = new SplittableRandom(m * 1000L + n * 10L + k);
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (float[] ab : new float[][] {{1f, 0f}, {1f, 1f}, {0.5f, -2f}}) {
          int lda = (ta ? m : k) + 3;
          int ldb = (tb ? k : n) + 2;
          int ldc = n + 5;
          int aOff = 7;
          int bOff = 3;
          int cOff = 11;
          FloatBuffer a = random(aOff + (ta ? k : m) * lda, rng);
          FloatBuffer b = random(bOff + (tb ? n : k) * ldb, rng);
          FloatBuffer c1 = random(cOff + m * ldc, rng);
          FloatBuffer c2 = Buffers.of(Buffers.toArray(c1, c1.capacity()));
          java.sgemm(ta, tb, m, n, k, ab[0], a, aOff, lda, b, bOff, ldb, ab[1], c1, cOff, ldc);
          blas.sgemm(ta, tb, m, n, k, ab[0], a, aOff, lda, b, bOff, ldb, ab[1], c2, cOff, ldc);
          for (int i = 0; i < c1.capacity(); i++) {
            float x = c1.get(i);
            float y = c2.get(i);
            assertTrue(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(x)),
                "sgemm ta=" + ta + " tb=" + tb + " alpha/beta=" + ab[0] + "/" + ab[1] + " at " + i + ": java " + x + " native " + y);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "3x7x5|conv(3,1) conv(4,3,pad=1) relu maxpool(2) flatten dense(5)",
      "2x9x11|conv(5,3,stride=2,pad=1) relu conv(3,5,pad=2,bias=false) avgpool(2) flatten dense(3)",
      "1x13x13|conv(7,4,stride=3) relu maxpool(3,stride=2,pad=1) flatten dense(9,bias=false) relu dense(4)",
      "3x10x6|conv(4,3,pad=1) batchnorm relu maxpool(2) flatten dropout(0.3) dense(6)",
      "1x28x28|tutorial-cnn",
  })
  void layersMatchJavaForwardAndBackward(String testCase) {
    needNative();
    String[] parts = testCase.split("\\|");
    ModelSpec spec = ModelSpec.parse(parts[1]);
    Shape shape = Shape.parse(parts[0]);
    Network a = Network.create(spec, shape, Init.PYTORCH, 2, java);
    Network b = Network.create(spec, shape, Init.PYTORCH, 2, blas);
    SplittableRandom rng = new SplittableRandom(1);
    int n = 5; // odd: the convolution's image chunks do not divide it
    FloatBuffer x = random(n * shape.size(), rng);
    FloatBuffer dy = random(n * a.numClasses(), rng);
    for (boolean train : new boolean[] {true, false}) {
      a.zeroGrads();
      b.zeroGrads();
      float[] ya = Buffers.toArray(a.forward(x, n, train, 9), n * a.numClasses());
      float[] yb = Buffers.toArray(b.forward(x, n, train, 9), n * b.numClasses());
      GoldenTest.assertClose(testCase + " logits train=" + train, ya, yb, 1e-5);
      a.backward(dy, n);
      b.backward(dy, n);
      for (ParamView v : a.views()) {
        if (v.trainable()) {
          GoldenTest.assertClose(testCase + " d" + v.name() + " train=" + train,
              Buffers.toArray(a.grads().slice(v.offset(), v.size()), v.size()),
              Buffers.toArray(b.grads().slice(v.offset(), v.size()), v.size()), 1e-4);
        }
      }
    }
  }
}
