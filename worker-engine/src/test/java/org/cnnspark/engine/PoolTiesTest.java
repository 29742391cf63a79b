package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.FloatBuffer;
import org.cnnspark.engine.kernels.Kernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ties in a 2x2 max pool go to the first maximum in row-major order, as in PyTorch, both in the
 * separate pool layer and in the convolution's fused epilogue (an identity 1x1 convolution here).
 * Exact ties are common: ReLU zeros and blank image borders.
 */
class PoolTiesTest {
  // four 2x2 windows of a 4x4 plane: {1,5 / 5,0}, {0,0 / 0,0}, {1,2 / 3,3}, {3,1 / 3,1}
  private static final float[] X = {
      1, 5, 0, 0,
      5, 0, 0, 0,
      1, 2, 3, 1,
      3, 3, 3, 1};
  private static final float[] POOLED = {5, 0, 3, 3};
  /** dL/dx for upstream gradients 1, 2, 3, 4: each lands on its window's first maximum. */
  private static final float[] DX = {
      0, 1, 2, 0,
      0, 0, 0, 0,
      0, 0, 4, 0,
      3, 0, 0, 0};

  @ParameterizedTest(name = "{0} fuse={1}")
  @CsvSource(delimiter = ';', value = {"maxpool(2) flatten; false", "conv(1,1,bias=false) maxpool(2) flatten; true",
      "conv(1,1,bias=false) maxpool(2) flatten; false"})
  void tiesGoToTheFirstMaximum(String spec, boolean fuse) {
    Network net = Network.create(ModelSpec.parse(spec), Shape.parse("1x4x4"), Init.PYTORCH, 1, Kernels.gemm(), fuse);
    net.views().stream().filter(v -> v.name().endsWith("weight")).forEach(v -> Probe.set(net, v, new float[] {1f}));
    FloatBuffer x = Buffers.of(X);
    assertArrayEquals(POOLED, Probe.forward(net, x, 1, true, 0), 0f, spec + " forward");
    assertArrayEquals(DX, Probe.backwardWithInputGradient(net, new float[] {1, 2, 3, 4}, 1), 0f, spec + " backward");
  }

  /**
   * 3x3 windows (stride 2, padding 1: a ResNet stem's pool; the whole ones take an unrolled path)
   * on small integers, so ties are everywhere: each output is its clipped window's maximum and its
   * gradient lands on the window's first maximum in row-major order.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"1x8x8", "2x7x9", "1x3x3"})
  void threeByThreeWindowsTieAsPyTorch(String shapeText) {
    Shape shape = Shape.parse(shapeText);
    Network net = Network.create(ModelSpec.parse("maxpool(3,stride=2,pad=1) flatten"), shape, Init.PYTORCH, 1, Kernels.gemm());
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    float[] x = new float[2 * shape.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextInt(3);
    }
    int h = shape.h();
    int w = shape.w();
    int ho = (h - 1) / 2 + 1;
    int wo = (w - 1) / 2 + 1;
    int outs = x.length / (h * w) * ho * wo;
    float[] want = new float[outs];
    float[] wantDx = new float[x.length];
    float[] dy = new float[outs];
    for (int pl = 0, o = 0; pl < x.length / (h * w); pl++) {
      for (int i = 0; i < ho; i++) {
        for (int j = 0; j < wo; j++, o++) {
          int best = -1;
          for (int a = Math.max(2 * i - 1, 0); a < Math.min(2 * i + 2, h); a++) {
            for (int b = Math.max(2 * j - 1, 0); b < Math.min(2 * j + 2, w); b++) {
              int at = pl * h * w + a * w + b;
              best = best < 0 || x[at] > x[best] ? at : best;
            }
          }
          want[o] = x[best];
          dy[o] = o + 1;
          wantDx[best] += dy[o];
        }
      }
    }
    assertArrayEquals(want, Probe.forward(net, Buffers.of(x), 2, true, 0), 0f, "forward");
    assertArrayEquals(wantDx, Probe.backwardWithInputGradient(net, dy, 2), 0f, "backward");
  }
}
