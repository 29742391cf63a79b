package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Finite-difference checks: central differences of a scalar loss L = sum(w * logits) (w fixed and
 * random), evaluated in double from the float network, against the analytic gradient of every
 * trainable tensor. A layer's input gradient is checked through the parameters of the layer before
 * it, so each case puts a 1x1 convolution first. Odd shapes on purpose.
 */
class GradientCheckTest {
  private static final double EPS = 1e-3;

  @AfterEach
  void restore() {
    Network.FUSE = true;
  }

  @ParameterizedTest(name = "{0} on {1} train={2} fuse={3}")
  @CsvSource(delimiter = ';', value = {
      "conv(3,1) conv(4,3,pad=1) flatten dense(5); 3x7x5; true; true",
      "conv(3,1) conv(4,3,stride=2,pad=1) flatten dense(5); 2x7x6; true; true",
      "conv(3,1) conv(3,5,pad=2,bias=false) flatten dense(5); 2x6x7; true; true",
      "conv(3,1) conv(4,2,stride=3) flatten dense(5); 1x8x7; true; true",
      "conv(3,1) conv(4,3) relu maxpool(2) flatten dense(5); 2x9x7; true; true",
      "conv(3,1) conv(4,3) relu maxpool(2) flatten dense(5); 2x9x7; true; false",
      "conv(3,1) conv(4,3,pad=1) relu flatten dense(5); 2x5x5; true; true",
      "conv(3,1) conv(4,3,pad=1) maxpool(3,stride=2) flatten dense(5); 2x9x8; true; true",
      "conv(3,1) maxpool(3,stride=2,pad=1) flatten dense(5); 2x7x9; true; true",
      "conv(3,1) avgpool(3,stride=2,pad=1) flatten dense(5); 2x7x9; true; true",
      "conv(3,1) avgpool(2) flatten dense(5); 2x7x9; true; true",
      "conv(3,1) relu flatten dense(5); 2x4x3; true; false",
      "conv(3,1) flatten dense(6,bias=false) relu dense(5); 2x3x4; true; true",
      "conv(3,1) dropout(0.3) flatten dense(5); 2x4x5; true; true",
      "conv(3,1) batchnorm flatten dense(5); 3x5x4; true; true",
      "conv(3,1) batchnorm flatten dense(5); 3x5x4; false; true",
      "conv(4,3,pad=1) relu maxpool(2) conv(6,3,pad=1) batchnorm relu avgpool(2) flatten dense(7) relu dropout(0.2) dense(5); 1x11x9; true; true",
      "conv(4,3,pad=1) relu maxpool(2) conv(6,3,pad=1) batchnorm relu avgpool(2) flatten dense(7) relu dropout(0.2) dense(5); 1x11x9; true; false",
  })
  void parameterGradientsMatchFiniteDifferences(String spec, String shape, boolean train, boolean fuse) {
    Network.FUSE = fuse;
    Network net = Network.create(ModelSpec.parse(spec), Shape.parse(shape), Init.PYTORCH, 11);
    SplittableRandom rng = new SplittableRandom(3);
    int n = 3;
    FloatBuffer x = Buffers.allocate((long) n * net.inputShape().size());
    for (int i = 0; i < x.capacity(); i++) {
      x.put(i, (float) rng.nextGaussian());
    }
    int k = net.numClasses();
    float[] w = new float[n * k];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextGaussian();
    }
    // running statistics must not drift between the evaluations
    float[] start = net.paramsArray();
    net.zeroGrads();
    net.forward(x, n, train, 5);
    net.backward(Buffers.of(w), n);
    float[] analytic = Buffers.toArray(net.grads(), net.trainableSize());
    double base = loss(net, start, x, n, train, w);
    int checked = 0;
    int kinks = 0;
    for (ParamView v : net.views()) {
      if (!v.trainable()) {
        continue;
      }
      for (int s = 0; s < Math.min(v.size(), 25); s++) {
        int i = v.offset() + (int) ((long) s * 7919 % v.size());
        float[] p = start.clone();
        p[i] += (float) EPS;
        double up = loss(net, p, x, n, train, w);
        p[i] = start[i] - (float) EPS;
        double down = loss(net, p, x, n, train, w);
        double numeric = (up - down) / (2 * EPS);
        checked++;
        // a ReLU or max-pool kink inside [p - eps, p + eps]: one-sided slopes disagree; skip it
        if (Math.abs((up - base) - (base - down)) / EPS > 0.02 * Math.max(1, Math.abs(numeric))) {
          kinks++;
          continue;
        }
        double err = Math.abs(numeric - analytic[i]);
        assertTrue(err <= 2e-3 + 2e-2 * Math.abs(numeric),
            spec + ": d/d " + v.name() + "[" + (i - v.offset()) + "] numeric " + numeric + " analytic " + analytic[i]);
      }
    }
    net.setParams(start);
    assertTrue(kinks <= checked / 5, spec + ": " + kinks + " of " + checked + " entries sit on kinks; the check proves too little");
  }

  private static double loss(Network net, float[] params, FloatBuffer x, int n, boolean train, float[] w) {
    net.setParams(params);
    FloatBuffer y = net.forward(x, n, train, 5);
    double l = 0;
    for (int i = 0; i < w.length; i++) {
      l += (double) w[i] * y.get(i);
    }
    return l;
  }

  @Test
  void crossEntropyGradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(9);
    int n = 4;
    int k = 7;
    float[] z = new float[n * k];
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) (3 * rng.nextGaussian());
    }
    int[] labels = {0, 6, 3, 3};
    FloatBuffer dz = Buffers.allocate(n * k);
    SoftmaxCrossEntropy.lossAndGrad(Buffers.of(z), labels, 0, n, k, n, dz);
    for (int i = 0; i < z.length; i++) {
      float[] zp = z.clone();
      zp[i] += (float) EPS;
      double up = SoftmaxCrossEntropy.lossAndGrad(Buffers.of(zp), labels, 0, n, k, n, null).lossSum() / n;
      zp[i] = z[i] - (float) EPS;
      double down = SoftmaxCrossEntropy.lossAndGrad(Buffers.of(zp), labels, 0, n, k, n, null).lossSum() / n;
      double numeric = (up - down) / (2 * EPS);
      assertTrue(Math.abs(numeric - dz.get(i)) <= 1e-3, "dLoss/dz[" + i + "] numeric " + numeric + " analytic " + dz.get(i));
    }
  }
}
