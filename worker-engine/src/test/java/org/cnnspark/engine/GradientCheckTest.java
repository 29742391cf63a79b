package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.layers.Layer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of every layer's backward pass, for its parameters and its input, then
 * of the loss and of whole networks with and without the fused convolution epilogue.
 *
 * <p>Method: the float network is run with one number moved by +eps and -eps, a scalar loss of
 * its output is summed in double, and (L+ - L-) / (x+ - x-) is compared with the analytic
 * gradient (x+ - x- is the float difference actually applied, not 2 eps). The loss is
 * L = sum(w_i y_i + q/2 y_i^2) with fixed random w of non-zero mean, so dL/dy = w + q y: the
 * quadratic term makes BatchNorm's mean and variance terms matter. Conv, linear, pooling, ReLU
 * and dropout are piecewise linear in each number, so central differences are exact up to float
 * rounding wherever no kink lies within eps: ReLU inputs are kept away from 0 and max-pool inputs
 * are distinct with gaps above 2 eps (eps = 0.01). Layer checks allow an error of 2e-3 of the
 * gradient's size (see Entries.check); the worst seen is 5e-5 for the piecewise linear layers and
 * 2.5e-4 for batch-norm, whose curvature adds O(eps^2) truncation error. A wrong sign, a missing
 * term or a transposed index is off by tens of percent. Whole networks, where random weights put
 * kinks anywhere, use eps = 1e-3, allow 1e-2, and excuse an entry only when a kink within eps
 * explains its error (see Entries.check).
 */
class GradientCheckTest {
  private static final long SEED = 17;

  /** Which numbers a layer check feeds in: any, away from ReLU's kink, or tie-free for max pooling. */
  enum Input { GAUSSIAN, AWAY_FROM_ZERO, DISTINCT }

  static Stream<Arguments> layerCases() {
    return Stream.of(
        // Conv2d: C=3, 7x5 input, pads 0/1/2, strides 1/2/3, kernels 1/3/4/5, bias on and off
        layer("conv(4,3)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(4,3,pad=1)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(4,3,pad=2)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(4,3,stride=2)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(4,3,stride=2,pad=1)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(4,3,stride=2,pad=2,bias=false)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(4,3,pad=1,bias=false)", "3x7x5", false, Input.GAUSSIAN),
        layer("conv(5,1)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(5,1,stride=2,bias=false)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(2,5)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(2,5,pad=2)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(3,5,stride=2,pad=1,bias=false)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(3,3,stride=3,pad=1)", "3x7x5", true, Input.GAUSSIAN),
        layer("conv(3,4,pad=1)", "2x6x7", true, Input.GAUSSIAN),
        // large planes: the convolution works in chunks of fewer images than the batch
        layer("conv(2,3,pad=1)", "1x28x30", true, Input.GAUSSIAN),
        layer("conv(2,3,stride=2)", "2x40x40", true, Input.GAUSSIAN),
        layer("conv(2,3,stride=2)", "2x40x40", false, Input.GAUSSIAN),
        // Pool2d: windows that overlap, skip cells, hang over the padding, leave a ragged edge
        layer("maxpool(2)", "3x7x5", true, Input.DISTINCT),
        layer("maxpool(2,stride=1)", "3x7x5", true, Input.DISTINCT),
        layer("maxpool(3,stride=2)", "3x7x5", true, Input.DISTINCT),
        layer("maxpool(3,stride=2,pad=1)", "3x7x5", true, Input.DISTINCT),
        layer("maxpool(3,stride=1,pad=1)", "2x5x6", true, Input.DISTINCT),
        layer("maxpool(2,stride=3,pad=1)", "2x8x7", true, Input.DISTINCT),
        layer("avgpool(2)", "3x7x5", true, Input.GAUSSIAN),
        layer("avgpool(2,stride=1)", "3x7x5", true, Input.GAUSSIAN),
        layer("avgpool(3,stride=2,pad=1)", "3x7x5", true, Input.GAUSSIAN),
        layer("avgpool(3,stride=3,pad=1)", "2x8x7", true, Input.GAUSSIAN),
        // ReLU, Linear, Flatten
        layer("relu", "3x7x5", true, Input.AWAY_FROM_ZERO),
        layer("flatten relu", "3x7x5", true, Input.AWAY_FROM_ZERO),
        layer("dense(7)", "23x1x1", true, Input.GAUSSIAN),
        layer("dense(7,bias=false)", "23x1x1", true, Input.GAUSSIAN),
        layer("flatten dense(6)", "3x7x5", true, Input.GAUSSIAN),
        layer("dense(1)", "5x1x1", true, Input.GAUSSIAN),
        // Dropout: in training the seed fixes the mask, so the function is linear; eval is the identity
        layer("dropout(0.3)", "3x7x5", true, Input.GAUSSIAN),
        layer("flatten dropout(0.6)", "3x7x5", true, Input.GAUSSIAN),
        layer("dropout(0.3)", "3x7x5", false, Input.GAUSSIAN),
        // BatchNorm2d: batch statistics in training, running statistics in eval
        layer("batchnorm", "3x7x5", true, Input.GAUSSIAN),
        layer("batchnorm", "3x7x5", false, Input.GAUSSIAN),
        layer("batchnorm(eps=0.01,momentum=0.3)", "4x3x2", true, Input.GAUSSIAN),
        layer("batchnorm", "2x1x1", true, Input.GAUSSIAN),
        // small planes: an exact grid, and taps that see only padding left out of the GEMM
        layer("conv(4,3,pad=1)", "3x1x1", true, Input.GAUSSIAN),
        layer("conv(4,3,stride=2,pad=1,bias=false)", "3x2x2", true, Input.GAUSSIAN),
        layer("conv(3,5,pad=2)", "2x2x3", true, Input.GAUSSIAN),
        layer("conv(3,3,pad=1)", "2x4x4", true, Input.GAUSSIAN),
        // global average pooling and residual blocks (identity and projection shortcuts)
        layer("gap", "3x7x5", true, Input.GAUSSIAN),
        layer("gap flatten dense(4)", "3x2x3", true, Input.GAUSSIAN),
        layer("res(conv(3,3,pad=1) batchnorm)", "3x7x5", true, Input.GAUSSIAN),
        layer("res(conv(3,3,pad=1) batchnorm)", "3x7x5", false, Input.GAUSSIAN),
        layer("res(conv(4,3,stride=2,pad=1,bias=false) batchnorm | conv(4,1,stride=2,bias=false) batchnorm)", "3x7x5", true,
            Input.GAUSSIAN),
        layer("res(dropout(0.3) conv(2,1) | conv(2,1,bias=false))", "3x4x5", true, Input.GAUSSIAN),
        layer("res(avgpool(2) | avgpool(2,stride=2))", "2x6x4", true, Input.GAUSSIAN));
  }

  private static Arguments layer(String spec, String shape, boolean training, Input input) {
    return Arguments.of(spec, shape, training, input);
  }

  @ParameterizedTest(name = "{0} on {1} training={2}")
  @MethodSource("layerCases")
  void layerGradientsMatchFiniteDifferences(String spec, String shape, boolean training, Input input) {
    Network net = Network.create(ModelSpec.parse(spec), Shape.parse(shape), Init.PYTORCH, SEED);
    SplittableRandom rng = new SplittableRandom(spec.hashCode() * 31L + shape.hashCode());
    randomizeParameters(net, rng);
    int n = 3;
    float[] x = input(input, n * net.inputShape().size(), rng);
    // measured worst errors: 5e-5 (piecewise linear layers, float rounding only), 2.5e-4 (batch-norm)
    new Check(spec + " on " + shape + " training=" + training, net, x, n, training, 0.5, rng).run(1e-2, 2e-3, false);
  }

  /**
   * Layer checks use random weights of size ~0.5 (BN gamma around 1 but not 1, so a missing gamma
   * factor shows) and, for eval-mode batch-norm, running statistics far from (0, 1).
   */
  static void randomizeParameters(Network net, SplittableRandom rng) {
    for (ParamView v : net.views()) {
      float[] a = new float[v.size()];
      for (int i = 0; i < a.length; i++) {
        if (v.name().endsWith("running_var")) {
          a[i] = (float) (0.5 + 1.5 * rng.nextDouble());
        } else if (v.name().endsWith("num_batches_tracked")) {
          a[i] = 0;
        } else {
          a[i] = (float) ((v.name().matches("(.*\\.)?bn\\d+\\.weight") ? 1 : 0) + 0.5 * rng.nextGaussian());
        }
      }
      Probe.set(net, v, a);
    }
  }

  static float[] input(Input kind, int size, SplittableRandom rng) {
    float[] x = Probe.gaussian(size, rng);
    switch (kind) {
      case GAUSSIAN -> { }
      case AWAY_FROM_ZERO -> {
        for (int i = 0; i < size; i++) {
          x[i] = Math.copySign(0.1f + Math.abs(x[i]), x[i]);
        }
      }
      case DISTINCT -> {
        // a shuffled ramp: every two numbers differ by >= 0.05, far more than 2 eps
        for (int i = 0; i < size; i++) {
          x[i] = 0.05f * (i - size / 2);
        }
        for (int i = size - 1; i > 0; i--) {
          int j = rng.nextInt(i + 1);
          float t = x[i];
          x[i] = x[j];
          x[j] = t;
        }
      }
    }
    return x;
  }

  /**
   * Whole networks, with the fused conv+relu+maxpool epilogue and without. Random weights put
   * ReLU and max-pool kinks anywhere, so an entry whose one-sided differences disagree (a kink
   * within eps) is skipped, and at most a tenth may be.
   */
  @ParameterizedTest(name = "{0} on {1} training={2} fuse={3}")
  @CsvSource(delimiter = ';', value = {
      "conv(3,3,pad=1) relu maxpool(2) conv(4,3,pad=1) relu maxpool(2) flatten dense(8) relu dense(5); 2x9x7; true; true",
      "conv(8,3,pad=1) relu maxpool(2) conv(8,2) relu maxpool(2) flatten dense(8) relu dense(5); 3x9x7; true; true",
      "conv(3,3,pad=1) relu maxpool(2) conv(4,3,pad=1) relu maxpool(2) flatten dense(8) relu dense(5); 2x9x7; true; false",
      "conv(4,3,stride=2,pad=1) relu maxpool(3,stride=2) flatten dense(5); 3x13x11; true; true",
      "conv(4,3,stride=2,pad=1) relu maxpool(3,stride=2) flatten dense(5); 3x13x11; true; false",
      "conv(4,3) maxpool(2) flatten dense(5); 2x9x8; true; true",
      "conv(4,3,bias=false) relu avgpool(2) flatten dense(5); 2x9x8; true; true",
      "conv(4,3,pad=1) relu maxpool(2,pad=1) flatten dense(5); 2x7x7; true; true",
      "conv(4,3,pad=1) relu maxpool(2) conv(6,3,pad=1) batchnorm relu avgpool(2) flatten dense(7) relu dropout(0.2) dense(5); 1x11x9; true; true",
      "conv(4,3,pad=1) relu maxpool(2) conv(6,3,pad=1) batchnorm relu avgpool(2) flatten dense(7) relu dropout(0.2) dense(5); 1x11x9; true; false",
      "conv(4,3,pad=1) relu maxpool(2) conv(6,3,pad=1) batchnorm relu avgpool(2) flatten dense(7) relu dropout(0.2) dense(5); 1x11x9; false; true",
      "conv(5,3,pad=1,bias=false) batchnorm relu maxpool(2) flatten dropout(0.5) dense(4); 2x6x8; false; false",
      // dead taps under the fused ReLU and max pool (channels-last GEMM)
      "conv(4,5,pad=2) relu maxpool(2) flatten dense(5); 1x2x2; true; true",
      "conv(4,5,pad=2) relu maxpool(2) flatten dense(5); 1x2x2; true; false",
      // a small ResNet: stem, an identity block, a projecting block, global pooling, head
      "conv(4,3,pad=1,bias=false) batchnorm relu res(conv(4,3,pad=1,bias=false) batchnorm relu conv(4,3,pad=1,bias=false) batchnorm) relu res(conv(6,3,stride=2,pad=1,bias=false) batchnorm relu conv(6,3,pad=1,bias=false) batchnorm | conv(6,1,stride=2,bias=false) batchnorm) relu gap flatten dense(5); 2x8x6; true; false",
      "conv(4,3,pad=1,bias=false) batchnorm relu res(conv(4,3,pad=1,bias=false) batchnorm relu conv(4,3,pad=1,bias=false) batchnorm) relu res(conv(6,3,stride=2,pad=1,bias=false) batchnorm relu conv(6,3,pad=1,bias=false) batchnorm | conv(6,1,stride=2,bias=false) batchnorm) relu gap flatten dense(5); 2x8x6; false; false",
      "conv(4,3,pad=1) relu maxpool(2) res(conv(4,3,pad=1) relu dropout(0.3) conv(4,3,pad=1)) relu flatten dense(5); 1x8x8; true; true",
  })
  void wholeNetworkGradientsMatchFiniteDifferences(String spec, String shape, boolean training, boolean fuse) {
    Network net = Network.create(ModelSpec.parse(spec), Shape.parse(shape), Init.PYTORCH, SEED, Kernels.gemm(), fuse);
    assertEquals(fuse, net.layers().stream().anyMatch(Layer::isFused), "fusion switched as asked: " + spec);
    SplittableRandom rng = new SplittableRandom(5);
    randomizeParameters(net, rng);
    int n = 3;
    float[] x = Probe.gaussian(n * net.inputShape().size(), rng);
    new Check(spec + " training=" + training + " fuse=" + fuse, net, x, n, training, 0.0, rng).run(1e-3, 1e-2, true);
  }

  /** The fused epilogue must compute what the separate layers compute, forward and backward. */
  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource(delimiter = ';', value = {
      "conv(4,3,pad=1) relu maxpool(2) flatten dense(5); 3x7x5",
      "conv(4,3,stride=2,pad=1) relu maxpool(3,stride=2) flatten dense(5); 3x13x11",
      "conv(4,5,pad=2) maxpool(2,stride=1) relu flatten dense(5); 2x6x5",
      "conv(4,3) relu flatten dense(5); 3x7x5",
      "conv(4,1) relu maxpool(3) conv(3,3,pad=1) relu maxpool(2) flatten dense(5); 2x12x13",
      // channel counts past a vector (8 or 16 lanes) with a tail, odd planes, a strided conv
      "conv(11,3,pad=1) relu maxpool(2) conv(19,3,pad=1) relu maxpool(2) flatten dense(5); 3x9x11",
      "conv(16,3,stride=2,pad=1) relu maxpool(2) flatten dense(5); 2x13x11",
      // OC a multiple of the vector length: whole vectors, no tail
      "conv(8,3,pad=1) relu maxpool(2) conv(16,2) relu maxpool(2) flatten dense(5); 3x9x11",
      "conv(16,5,pad=2) maxpool(2) flatten dense(5); 1x7x6",
  })
  void fusedEpilogueEqualsSeparateLayers(String spec, String shape) {
    Network fused = Network.create(ModelSpec.parse(spec), Shape.parse(shape), Init.PYTORCH, SEED, Kernels.gemm(), true);
    Network plain = Network.create(ModelSpec.parse(spec), Shape.parse(shape), Init.PYTORCH, SEED, Kernels.gemm(), false);
    assertTrue(fused.layers().stream().anyMatch(Layer::isFused), "nothing was fused in " + spec);
    SplittableRandom rng = new SplittableRandom(8);
    for (int n : new int[] {1, 4}) {
      FloatBuffer x = Probe.gaussianBuffer(n * fused.inputShape().size(), rng);
      float[] dy = Probe.gaussian(n * fused.numClasses(), rng);
      for (boolean training : new boolean[] {true, false}) {
        float[] yf = Probe.forward(fused, x, n, training, 3);
        float[] yp = Probe.forward(plain, x, n, training, 3);
        // not bit for bit: with a fused pool the GEMM writes channels last, so OpenBLAS sums in another order
        Probe.assertClose(spec + " logits, n=" + n + " training=" + training, yp, yf, 1e-6);
        fused.zeroGrads();
        plain.zeroGrads();
        float[] dxf = Probe.backwardWithInputGradient(fused, dy, n);
        float[] dxp = Probe.backwardWithInputGradient(plain, dy, n);
        Probe.assertClose(spec + " dx", dxp, dxf, 1e-6);
        for (ParamView v : fused.views()) {
          if (v.trainable()) {
            Probe.assertClose(spec + " d" + v.name(), Probe.grads(plain, v), Probe.grads(fused, v), 1e-6);
          }
        }
      }
    }
  }

  /** One finite-difference comparison: a network, a fixed input batch and a fixed loss weighting. */
  static final class Check {
    final String label;
    final Network net;
    final FloatBuffer x;
    final int n;
    final boolean training;
    final double q;
    final float[] w;
    final float[] start;

    Check(String label, Network net, float[] x, int n, boolean training, double q, SplittableRandom rng) {
      this.label = label;
      this.net = net;
      this.x = Buffers.of(x);
      this.n = n;
      this.training = training;
      this.q = q;
      this.w = Probe.gaussian(n * net.numClasses(), rng);
      for (int i = 0; i < w.length; i++) {
        w[i] += 0.3f; // a non-zero mean, so sum(dy) terms (bias, batch-norm) are large
      }
      this.start = net.paramsArray();
    }

    /** L at the current x and the given parameters. Running statistics restart from start every time. */
    double loss(float[] params) {
      net.setParams(params);
      FloatBuffer y = net.forward(x, n, training, SEED);
      double l = 0;
      for (int i = 0; i < w.length; i++) {
        double v = y.get(i);
        l += w[i] * v + 0.5 * q * v * v;
      }
      return l;
    }

    /**
     * Compares every trainable tensor (up to 60 entries each) and the input (up to 60 entries).
     *
     * @param eps        perturbation
     * @param tol        see Entries.check
     * @param allowKinks excuse entries with a kink within eps (at most a tenth of them)
     */
    void run(double eps, double tol, boolean allowKinks) {
      // analytic, through the public backward (first layer without dx) ...
      net.setParams(start);
      float[] y = Probe.forward(net, x, n, training, SEED);
      float[] dy = new float[y.length];
      for (int i = 0; i < y.length; i++) {
        dy[i] = (float) (w[i] + q * y[i]);
      }
      net.zeroGrads();
      net.backward(Buffers.of(dy), n);
      float[] grads = Buffers.toArray(net.grads(), net.trainableSize());
      // ... and again with every layer's input gradient: parameter gradients must not change
      net.setParams(start);
      net.forward(x, n, training, SEED);
      net.zeroGrads();
      float[] dx = Probe.backwardWithInputGradient(net, dy, n);
      assertArrayEquals(grads, Buffers.toArray(net.grads(), net.trainableSize()), label + ": gradients differ when dx is formed");

      double base = loss(start);
      // gradients near zero (a bias before batch-norm has exactly zero) are judged against the
      // size of the whole gradient, since finite differences only see them through rounding
      double floor = 0.1 * Probe.rms(grads);
      Tally tally = new Tally();
      for (ParamView v : net.views()) {
        if (v.trainable()) {
          int[] idx = sample(v.size());
          Entries e = Entries.measure(idx, v.offset(), start, grads, eps, base, (i, value) -> {
            float[] p = start.clone();
            p[i] = value;
            return loss(p);
          });
          e.check(label + ": d/d" + v.name(), idx, tol, floor, allowKinks, tally);
        }
      }
      net.setParams(start);
      int[] idx = sample(x.capacity());
      Entries e = Entries.measure(idx, 0, Buffers.toArray(x, x.capacity()), dx, eps, base, (i, value) -> {
        float old = x.get(i);
        x.put(i, value);
        double l = loss(start);
        x.put(i, old);
        return l;
      });
      e.check(label + ": d/dinput", idx, tol, 0.1 * Probe.rms(dx), allowKinks, tally);
      net.setParams(start);
      assertTrue(tally.kinks <= tally.checked / 10, label + ": " + tally.kinks + " of " + tally.checked
          + " entries sit on a ReLU/max-pool kink; the check proves too little");
    }
  }

  static final class Tally {
    int checked;
    int kinks;
  }

  /** Sampled entries of one tensor: central difference, analytic value, and the two one-sided slopes. */
  static final class Entries {
    final double[] numeric;
    final double[] analytic;
    final double[] jump;

    Entries(int m) {
      numeric = new double[m];
      analytic = new double[m];
      jump = new double[m];
    }

    /** The loss with number i of the parameters (or input) set to value, everything else as it was. */
    interface LossAt {
      double at(int i, float value);
    }

    /**
     * Central differences at idx[s] + offset of values (with eps either side, as floats), against
     * analytic[idx[s] + offset]; base is the loss at values.
     */
    static Entries measure(int[] idx, int offset, float[] values, float[] analytic, double eps, double base, LossAt loss) {
      Entries e = new Entries(idx.length);
      for (int s = 0; s < idx.length; s++) {
        int i = offset + idx[s];
        float[] f = {(float) (values[i] - eps), values[i], (float) (values[i] + eps)};
        e.add(s, f, new double[] {loss.at(i, f[0]), base, loss.at(i, f[2])}, analytic[i]);
      }
      return e;
    }

    /** f: the three (float) arguments lo, start, hi; l: the loss at each. */
    void add(int s, float[] f, double[] l, float analyticValue) {
      numeric[s] = (l[2] - l[0]) / ((double) f[2] - f[0]);
      double right = (l[2] - l[1]) / ((double) f[2] - f[1]);
      double left = (l[1] - l[0]) / ((double) f[1] - f[0]);
      jump[s] = Math.abs(right - left);
      analytic[s] = analyticValue;
    }

    /**
     * |numeric - analytic| <= tol * (|numeric| + max(rms(numeric), floor)) for every entry. With
     * kinks allowed, an entry that fails is excused when the one-sided slopes differ by more than
     * the error: a kink lies within eps, and the analytic value (one of the two slopes) may then sit
     * anywhere between them. A wrong gradient does not come with such a jump.
     */
    void check(String what, int[] idx, double tol, double floor, boolean allowKinks, Tally tally) {
      double sq = 0;
      for (double v : numeric) {
        sq += v * v;
      }
      double scale = Math.max(Math.sqrt(sq / Math.max(1, numeric.length)), floor);
      for (int s = 0; s < numeric.length; s++) {
        tally.checked++;
        double err = Math.abs(numeric[s] - analytic[s]);
        if (err <= tol * (Math.abs(numeric[s]) + scale)) {
          continue;
        }
        if (allowKinks && err <= jump[s]) {
          tally.kinks++;
          continue;
        }
        fail(what + "[" + idx[s] + "]: finite differences give " + numeric[s] + ", backward gives "
            + analytic[s] + " (error " + err + ", allowed " + tol * (Math.abs(numeric[s]) + scale) + ")");
      }
    }
  }

  /** All indices of small tensors, else 60 spread over the whole tensor. */
  private static int[] sample(int size) {
    int m = Math.min(size, 60);
    int[] idx = new int[m];
    for (int s = 0; s < m; s++) {
      idx[s] = m == size ? s : (int) ((long) s * size / m + (s * 7L) % Math.max(1, size / m));
    }
    return idx;
  }

  // ---- softmax cross-entropy ----

  @ParameterizedTest(name = "n={0} k={1} meanOver={2}")
  @CsvSource({"4,7,4", "1,2,1", "5,10,12", "3,1,3"})
  void crossEntropyGradientMatchesFiniteDifferences(int n, int k, int meanOver) {
    SplittableRandom rng = new SplittableRandom(9L * n + k);
    float[] z = new float[n * k];
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) (3 * rng.nextGaussian());
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = rng.nextInt(k);
    }
    FloatBuffer dz = Buffers.allocate(n * k);
    SoftmaxCrossEntropy.lossAndGrad(Buffers.of(z), labels, 0, n, k, meanOver, dz);
    float[] numeric = new float[z.length];
    double eps = 1e-3;
    for (int i = 0; i < z.length; i++) {
      float[] zp = z.clone();
      zp[i] = (float) (z[i] + eps);
      double up = SoftmaxCrossEntropy.lossAndGrad(Buffers.of(zp), labels, 0, n, k, meanOver, null).lossSum() / meanOver;
      float hi = zp[i];
      zp[i] = (float) (z[i] - eps);
      double down = SoftmaxCrossEntropy.lossAndGrad(Buffers.of(zp), labels, 0, n, k, meanOver, null).lossSum() / meanOver;
      numeric[i] = (float) ((up - down) / ((double) hi - zp[i]));
    }
    // the loss is summed in double: only truncation error, O(eps^2)
    Probe.assertClose("dLoss/dlogits n=" + n + " k=" + k + " meanOver=" + meanOver, numeric, Buffers.toArray(dz, n * k), 1e-4);
  }

  @Test
  void crossEntropyValuesAreThePyTorchFormula() {
    // loss_i = logsumexp(z_i) - z_i[y_i], written out in double here
    float[] z = {2f, -1f, 0.5f, 1000f, 999f, -1000f, -3f, -3f, -3f};
    int[] labels = {0, 1, 2};
    double expected = 0;
    for (int i = 0; i < 3; i++) {
      double max = Math.max(z[3 * i], Math.max(z[3 * i + 1], z[3 * i + 2]));
      double s = 0;
      for (int j = 0; j < 3; j++) {
        s += Math.exp(z[3 * i + j] - max);
      }
      expected += max + Math.log(s) - z[3 * i + labels[i]];
    }
    SoftmaxCrossEntropy.Result r = SoftmaxCrossEntropy.lossAndGrad(Buffers.of(z), labels, 0, 3, 3, 3, null);
    assertEquals(expected, r.lossSum(), 1e-9, "no overflow with logits of 1000, and exact in double");
    // row 0 is right; row 1 is wrong; row 2 is a three-way tie that argmax gives to index 0, not label 2
    assertEquals(1, r.correct(), "correct predictions");
    FloatBuffer probs = Buffers.allocate(9);
    SoftmaxCrossEntropy.softmax(Buffers.of(z), 3, 3, probs, 0);
    for (int i = 0; i < 3; i++) {
      double s = probs.get(3 * i) + probs.get(3 * i + 1) + probs.get(3 * i + 2);
      assertEquals(1.0, s, 1e-6, "probabilities of row " + i + " sum to 1");
    }
    assertEquals(1 / (1 + Math.exp(-1)), probs.get(3), 1e-6, "softmax of (1000, 999, -1000)");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SoftmaxCrossEntropy.lossAndGrad(Buffers.of(z), new int[] {0, 3, 1}, 0, 3, 3, 3, null));
    assertTrue(e.getMessage().contains("label 3 of example 1 is outside [0, 3)"), e.getMessage());
  }

  /** The training path end to end: cross-entropy of a network's logits, through Network.backward. */
  @ParameterizedTest(name = "fuse={0}")
  @CsvSource({"true", "false"})
  void crossEntropyThroughAWholeNetwork(boolean fuse) {
    String spec = "conv(4,3,pad=1) relu maxpool(2) conv(5,3,stride=2,pad=1) batchnorm relu flatten dense(9) relu dense(6)";
    Network net = Network.create(ModelSpec.parse(spec), Shape.parse("2x10x9"), Init.PYTORCH, SEED, Kernels.gemm(), fuse);
    SplittableRandom rng = new SplittableRandom(12);
    int n = 5;
    int k = net.numClasses();
    FloatBuffer x = Probe.gaussianBuffer(n * net.inputShape().size(), rng);
    int[] labels = {0, 5, 2, 2, 4};
    float[] start = net.paramsArray();
    FloatBuffer dz = Buffers.allocate(n * k);
    net.zeroGrads();
    SoftmaxCrossEntropy.lossAndGrad(net.forward(x, n, true, SEED), labels, 0, n, k, n, dz);
    net.backward(dz, n);
    float[] grads = Buffers.toArray(net.grads(), net.trainableSize());
    int[] idx = new int[150];
    for (int s = 0; s < idx.length; s++) {
      idx[s] = (int) ((long) s * 7919 % net.trainableSize());
    }
    double base = SoftmaxCrossEntropy.lossAndGrad(net.forward(x, n, true, SEED), labels, 0, n, k, n, null).lossSum() / n;
    Entries e = Entries.measure(idx, 0, start, grads, 1e-3, base, (i, value) -> {
      float[] p = start.clone();
      p[i] = value;
      net.setParams(p);
      return SoftmaxCrossEntropy.lossAndGrad(net.forward(x, n, true, SEED), labels, 0, n, k, n, null).lossSum() / n;
    });
    net.setParams(start);
    Tally tally = new Tally();
    e.check("d(cross-entropy)/dparams, fuse=" + fuse, idx, 1e-2, 0.1 * Probe.rms(grads), true, tally);
    assertTrue(tally.kinks <= tally.checked / 10, tally.kinks + " of " + tally.checked + " entries on kinks");
  }
}
