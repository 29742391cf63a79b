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
}
