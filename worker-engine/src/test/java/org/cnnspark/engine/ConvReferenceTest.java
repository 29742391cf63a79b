package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.cnnspark.engine.kernels.Gemm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conv2d against the definition: a direct 7-deep loop in double written here (the oracle), for
 * forward y, dWeight, dBias and dX, over kernel sizes 1-5, strides 1-3, paddings 0-2 (also wider
 * than the kernel), bias on and off, training and eval, batches that split into several of the
 * layer's image chunks, both kernel backends. Tolerance: the float summation error bound 2 (terms + 2) 2^-24 sum|products| per
 * element, so only rounding passes.
 */
class ConvReferenceTest {

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    int count = 0;
    for (int k : new int[] {1, 2, 3, 5}) {
      for (int s = 1; s <= 3; s++) {
        for (int p = 0; p <= 2; p++) {
          if (7 + 2 * p < k) {
            continue;
          }
          boolean bias = count++ % 3 != 0;
          for (String backend : new String[] {"java", "native", "dnnl"}) {
            b.add(Arguments.of(backend, 4, k, s, p, bias, "3x7x5", 5, (count + (backend.equals("java") ? 0 : 1)) % 2 == 0));
          }
        }
      }
    }
    for (String backend : new String[] {"java", "native", "dnnl"}) {
      for (boolean training : new boolean[] {true, false}) {
        // 18x20 grids: chunks of 2 images, so a batch of 5 runs as 2 + 2 + 1
        b.add(Arguments.of(backend, 3, 3, 1, 0, true, "1x20x20", 5, training));
        b.add(Arguments.of(backend, 3, 3, 2, 0, false, "2x40x40", 5, training));
        // 28x30 grids: one image per chunk
        b.add(Arguments.of(backend, 2, 3, 1, 1, true, "1x28x28", 3, training));
        b.add(Arguments.of(backend, 2, 5, 1, 2, true, "2x16x33", 7, training));
        // 60x7 grids, rows 5 wide: one image per chunk, and training keeps every chunk's cols for backward
        b.add(Arguments.of(backend, 3, 3, 1, 1, true, "2x60x5", 3, training));
      }
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} conv(out={1},k={2},stride={3},pad={4},bias={5}) on {6} n={7} training={8}")
  @MethodSource("cases")
  void convolutionMatchesTheDirectLoops(String backend, int oc, int k, int stride, int pad, boolean bias,
                                        String shapeText, int n, boolean training) {
    Gemm gemm = Probe.backend(backend);
    Shape shape = Shape.parse(shapeText);
    String spec = "conv(" + oc + "," + k + ",stride=" + stride + ",pad=" + pad + ",bias=" + bias + ")";
    Network net = Network.create(ModelSpec.parse(spec), shape, Init.PYTORCH, 1, gemm);
    SplittableRandom rng = new SplittableRandom(spec.hashCode() + 31L * n);
    int c = shape.c();
    int h = shape.h();
    int w = shape.w();
    int ho = (h + 2 * pad - k) / stride + 1;
    int wo = (w + 2 * pad - k) / stride + 1;
    float[] weight = Probe.gaussian(oc * c * k * k, rng);
    float[] b = bias ? Probe.gaussian(oc, rng) : new float[oc];
    Probe.set(net, net.view("conv1.weight"), weight);
    if (bias) {
      Probe.set(net, net.view("conv1.bias"), b);
    }
    float[] x = Probe.gaussian(n * c * h * w, rng);
    float[] dy = Probe.gaussian(n * oc * ho * wo, rng);

    // the oracle: y = b + sum over (c, ki, kj) of w * x at (i*stride - pad + ki, j*stride - pad + kj)
    double[] y = new double[dy.length];
    double[] yMag = new double[dy.length];
    double[] dW = new double[weight.length];
    double[] dWMag = new double[weight.length];
    double[] dB = new double[oc];
    double[] dBMag = new double[oc];
    double[] dX = new double[x.length];
    double[] dXMag = new double[x.length];
    for (int img = 0; img < n; img++) {
      for (int o = 0; o < oc; o++) {
        for (int i = 0; i < ho; i++) {
          for (int j = 0; j < wo; j++) {
            int yi = ((img * oc + o) * ho + i) * wo + j;
            double acc = b[o];
            double mag = Math.abs(b[o]);
            double g = dy[yi];
            dB[o] += g;
            dBMag[o] += Math.abs(g);
            for (int ch = 0; ch < c; ch++) {
              for (int ki = 0; ki < k; ki++) {
                for (int kj = 0; kj < k; kj++) {
                  int r = i * stride - pad + ki;
                  int q = j * stride - pad + kj;
                  if (r < 0 || r >= h || q < 0 || q >= w) {
                    continue; // zero padding
                  }
                  int xi = ((img * c + ch) * h + r) * w + q;
                  int wi = ((o * c + ch) * k + ki) * k + kj;
                  acc += (double) weight[wi] * x[xi];
                  mag += Math.abs((double) weight[wi] * x[xi]);
                  dW[wi] += g * x[xi];
                  dWMag[wi] += Math.abs(g * x[xi]);
                  dX[xi] += g * weight[wi];
                  dXMag[xi] += Math.abs(g * weight[wi]);
                }
              }
            }
            y[yi] = acc;
            yMag[yi] = mag;
          }
        }
      }
    }

    String what = backend + " " + spec + " on " + shapeText + " n=" + n + " training=" + training;
    float[] gotY = Probe.forward(net, Buffers.of(x), n, training, 0);
    net.zeroGrads();
    float[] gotDx = Probe.backwardWithInputGradient(net, dy, n);
    // terms per element: y has C*K*K (+ bias), dW and dB have N*HO*WO, dX at most OC*K*K
    check(what + " y", y, yMag, gotY, c * k * k + 1);
    check(what + " dWeight", dW, dWMag, Probe.grads(net, net.view("conv1.weight")), n * ho * wo);
    if (bias) {
      check(what + " dBias", dB, dBMag, Probe.grads(net, net.view("conv1.bias")), n * ho * wo);
    }
    check(what + " dX", dX, dXMag, gotDx, oc * k * k);
  }

  private static void check(String what, double[] expected, double[] mag, float[] got, int terms) {
    if (expected.length != got.length) {
      fail(what + ": " + got.length + " values, expected " + expected.length);
    }
    for (int i = 0; i < expected.length; i++) {
      double bound = 2 * (terms + 2) * 0x1p-24 * mag[i] + 1e-30;
      if (!(Math.abs(got[i] - expected[i]) <= bound)) {
        fail(what + "[" + i + "] = " + got[i] + ", direct loops give " + expected[i] + " (rounding bound " + bound + ")");
      }
    }
  }
}
