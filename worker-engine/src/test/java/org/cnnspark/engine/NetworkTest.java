package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.cnnspark.engine.layers.Layer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Contracts of forward/backward that the gradient checks take for granted: backward adds into the
 * gradients, an example's result does not depend on the batch around it or on the batch sizes
 * used before (layers reuse and grow their buffers), and replicas share parameters only.
 */
class NetworkTest {

  @Test
  void fusionIsChosenPerNetworkAndOnByDefault() {
    ModelSpec spec = ModelSpec.parse("conv(2,3) relu maxpool(2) flatten dense(3)");
    Shape shape = Shape.parse("1x8x8");
    assertTrue(Network.FUSE_BY_DEFAULT, "on unless the JVM runs with -Dcnnspark.fuse=false, which surefire does not");
    assertTrue(Network.create(spec, shape, Init.PYTORCH, 1).layers().get(1).isFused(), "the default network fuses");
    Network fused = Network.create(spec, shape, Init.PYTORCH, 1, Probe.backend("java"), true);
    Network plain = Network.create(spec, shape, Init.PYTORCH, 1, Probe.backend("java"), false);
    assertTrue(fused.layers().get(1).isFused() && fused.layers().get(2).isFused(), "relu and maxpool run inside the conv");
    assertFalse(plain.layers().stream().anyMatch(Layer::isFused), "one network's choice leaves the next one alone");
    assertTrue(fused.replica().layers().get(2).isFused(), "a replica keeps its network's choice");
  }

  static final String[] SPECS = {
      "conv(4,3,pad=1) relu maxpool(2) conv(3,3,stride=2,pad=1) relu avgpool(2,stride=1) flatten dense(6) relu dense(5)",
      "conv(4,3,pad=1,bias=false) batchnorm relu maxpool(3,stride=2,pad=1) flatten dropout(0.3) dense(5)",
  };

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void backwardAddsIntoTheGradients(boolean fuse) {
    for (String spec : SPECS) {
      Network net = Network.create(ModelSpec.parse(spec), Shape.parse("2x12x11"), Init.PYTORCH, 1, Probe.backend("java"), fuse);
      SplittableRandom rng = new SplittableRandom(2);
      int n = 3;
      FloatBuffer x = Probe.gaussianBuffer(n * net.inputShape().size(), rng);
      FloatBuffer dy = Probe.gaussianBuffer(n * net.numClasses(), rng);
      net.zeroGrads();
      net.forward(x, n, true, 4);
      net.backward(dy, n);
      float[] once = Buffers.toArray(net.grads(), net.trainableSize());
      net.forward(x, n, true, 4);
      net.backward(dy, n);
      float[] twice = Buffers.toArray(net.grads(), net.trainableSize());
      float[] doubled = once.clone();
      for (int i = 0; i < doubled.length; i++) {
        doubled[i] *= 2;
      }
      // not bit-exact: the second pass rounds its sums on top of the first one's
      Probe.assertClose(spec + " gradients after two backward passes", doubled, twice, 1e-5);
      net.zeroGrads();
      assertTrue(isZero(Buffers.toArray(net.grads(), net.trainableSize())), "zeroGrads");
    }
  }

  /**
   * Eval-mode logits and input gradients of an example are the same whether it runs alone or in
   * a batch, after larger and smaller batches: no stale buffer contents, no cross-talk between
   * examples (the convolution processes several images per GEMM).
   */
  @ParameterizedTest
  @ValueSource(strings = {"java", "native"})
  void examplesDoNotDependOnTheBatchAroundThem(String backend) {
    for (boolean fuse : new boolean[] {true, false}) {
      for (String spec : SPECS) {
        Shape shape = Shape.parse("2x12x11");
        Network net = Network.create(ModelSpec.parse(spec), shape, Init.PYTORCH, 1, Probe.backend(backend), fuse);
        GradientCheckTest.randomizeParameters(net, new SplittableRandom(3));
        SplittableRandom rng = new SplittableRandom(4);
        int size = shape.size();
        int k = net.numClasses();
        float[] x = Probe.gaussian(9 * size, rng);
        float[] dy = Probe.gaussian(9 * k, rng);
        float[][] aloneY = new float[9][];
        float[][] aloneDx = new float[9][];
        for (int i = 0; i < 9; i++) {
          FloatBuffer xi = Buffers.of(Arrays.copyOfRange(x, i * size, (i + 1) * size));
          aloneY[i] = Probe.forward(net, xi, 1, false, 0);
          aloneDx[i] = Probe.backwardWithInputGradient(net, Arrays.copyOfRange(dy, i * k, (i + 1) * k), 1);
        }
        for (int n : new int[] {9, 2, 5}) {
          float[] y = Probe.forward(net, Buffers.of(Arrays.copyOf(x, n * size)), n, false, 0);
          float[] dx = Probe.backwardWithInputGradient(net, Arrays.copyOf(dy, n * k), n);
          for (int i = 0; i < n; i++) {
            String what = backend + " fuse=" + fuse + " " + spec + " example " + i + " of a batch of " + n;
            Probe.assertClose(what + " logits", aloneY[i], Arrays.copyOfRange(y, i * k, (i + 1) * k), 1e-5);
            Probe.assertClose(what + " dx", aloneDx[i], Arrays.copyOfRange(dx, i * size, (i + 1) * size), 1e-5);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void replicasShareParametersButNotGradients(boolean fuse) {
    Network net = Network.create(ModelSpec.parse(SPECS[1]), Shape.parse("2x12x11"), Init.PYTORCH, 1, Probe.backend("java"), fuse);
    Network r = net.replica();
    assertEquals(net.layers().stream().anyMatch(l -> l.isFused()), r.layers().stream().anyMatch(l -> l.isFused()),
        "a replica computes the way its original does");
    SplittableRandom rng = new SplittableRandom(5);
    FloatBuffer x = Probe.gaussianBuffer(2 * net.inputShape().size(), rng);
    FloatBuffer dy = Probe.gaussianBuffer(2 * net.numClasses(), rng);
    float[] before = net.paramsArray();
    net.zeroGrads();
    r.zeroGrads();
    r.forward(x, 2, true, 1);
    r.backward(dy, 2);
    assertTrue(isZero(Buffers.toArray(net.grads(), net.trainableSize())), "the original's gradients stay zero");
    assertArrayEquals(before, net.paramsArray(), "a replica's batch-norm leaves the running statistics alone");
    float[] changed = before.clone();
    changed[0] += 1;
    net.setParams(changed);
    assertEquals(changed[0], r.params().get(0), "the parameter buffer is shared");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.setParams(new float[3]));
    assertTrue(e.getMessage().contains("parameter vector has 3 floats, this model needs " + net.totalSize()), e.getMessage());
  }

  private static boolean isZero(float[] a) {
    for (float v : a) {
      if (v != 0f) {
        return false;
      }
    }
    return true;
  }
}
