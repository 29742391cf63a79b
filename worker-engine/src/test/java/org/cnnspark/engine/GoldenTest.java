package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.SafeTensors.Tensor;
import org.cnnspark.engine.io.StateDict;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.optim.Optimizer;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine against PyTorch 1.13 on the same weights and batch (files written by
 * src/test/python/make_golden.py): probabilities, loss, every gradient, running statistics, and
 * the weights after 3 steps of each optimizer setting. Run on both kernel backends, with and
 * without the fused convolution epilogue. 1e-4 absolute catches a transposed weight or an
 * off-by-one padding many times over.
 */
class GoldenTest {
  private static final double TOL = 1e-4;

  record Case(String file, String spec, String shape, boolean train) {}

  static final Case[] CASES = {
      new Case("tutorial_1x28x28", ModelSpec.TUTORIAL_CNN, "1x28x28", true),
      new Case("tutorial_3x32x32", ModelSpec.TUTORIAL_CNN, "3x32x32", true),
      new Case("bn_dropout_eval", "conv(8,3,pad=1,bias=false) batchnorm relu maxpool(2) flatten dropout(0.5) dense(10)", "2x12x10", false),
      new Case("bn_train", "conv(6,3,pad=1,bias=false) batchnorm relu maxpool(2) flatten dense(10)", "1x10x14", true),
  };

  static final Map<String, OptimizerConfig> OPTIMIZERS = new LinkedHashMap<>();

  static {
    OPTIMIZERS.put("sgd", OptimizerConfig.sgd(0.01, 0.9, false, 0));
    OPTIMIZERS.put("sgd_nesterov_wd", OptimizerConfig.sgd(0.01, 0.9, true, 5e-4));
    OPTIMIZERS.put("adam", OptimizerConfig.adam(1e-3, 0.9, 0.999, 1e-8, 0));
    OPTIMIZERS.put("adam_wd", OptimizerConfig.adam(1e-3, 0.9, 0.999, 1e-8, 1e-2));
  }

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (Case c : CASES) {
      for (String kernels : new String[] {"native", "java"}) {
        for (boolean fuse : new boolean[] {true, false}) {
          b.add(Arguments.of(c.file(), c, kernels, fuse));
        }
      }
    }
    return b.build();
  }

  @AfterEach
  void restoreFusion() {
    Network.FUSE = true;
  }

  static Map<String, Tensor> load(String file) throws IOException {
    try (InputStream in = GoldenTest.class.getResourceAsStream("/golden/" + file + ".safetensors")) {
      return SafeTensors.read(in, file);
    }
  }

  static Map<String, Tensor> withPrefix(Map<String, Tensor> all, String prefix) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    all.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k.substring(prefix.length()), v);
      }
    });
    return out;
  }

  @ParameterizedTest(name = "{0} {2} fuse={3}")
  @MethodSource("cases")
  void matchesPyTorch(String name, Case c, String kernels, boolean fuse) throws IOException {
    Gemm gemm = Kernels.byName(kernels);
    Network.FUSE = fuse;
    Map<String, Tensor> g = load(c.file());
    Network net = Network.create(ModelSpec.parse(c.spec()), Shape.parse(c.shape()), Init.PYTORCH, 0, gemm);
    Map<String, Tensor> init = withPrefix(g, "init.");
    StateDict.load(net, init, c.file());
    float[] xs = g.get("x").data();
    int n = g.get("x").shape()[0];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (int) g.get("labels").data()[i];
    }
    FloatBuffer x = Buffers.of(xs);
    int k = net.numClasses();

    FloatBuffer logits = net.forward(x, n, c.train(), 0);
    FloatBuffer probs = Buffers.allocate((long) n * k);
    SoftmaxCrossEntropy.softmax(logits, n, k, probs, 0);
    assertClose("probs", g.get("probs").data(), Buffers.toArray(probs, n * k), TOL);
    FloatBuffer dLogits = Buffers.allocate((long) n * k);
    net.zeroGrads();
    SoftmaxCrossEntropy.Result r = SoftmaxCrossEntropy.lossAndGrad(logits, labels, 0, n, k, n, dLogits);
    assertEquals(g.get("loss").data()[0], r.lossSum() / n, TOL, "loss");
    net.backward(dLogits, n);
    for (Map.Entry<String, Tensor> e : withPrefix(g, "grad.").entrySet()) {
      ParamView v = net.view(e.getKey());
      assertClose("grad." + e.getKey(), e.getValue().data(), Buffers.toArray(net.grads().slice(v.offset(), v.size()), v.size()), TOL);
    }
    for (Map.Entry<String, Tensor> e : withPrefix(g, "after.").entrySet()) {
      ParamView v = net.view(e.getKey());
      assertClose("after." + e.getKey(), e.getValue().data(), Buffers.toArray(net.params().slice(v.offset(), v.size()), v.size()), TOL);
    }

    for (Map.Entry<String, OptimizerConfig> o : OPTIMIZERS.entrySet()) {
      StateDict.load(net, init, c.file());
      Optimizer opt = o.getValue().create(net.trainableSize());
      for (int step = 0; step < 3; step++) {
        net.zeroGrads();
        FloatBuffer z = net.forward(x, n, c.train(), 0);
        SoftmaxCrossEntropy.lossAndGrad(z, labels, 0, n, k, n, dLogits);
        net.backward(dLogits, n);
        opt.step(net.params(), net.grads());
      }
      for (Map.Entry<String, Tensor> e : withPrefix(g, o.getKey() + ".").entrySet()) {
        ParamView v = net.view(e.getKey());
        assertClose(o.getKey() + "." + e.getKey(), e.getValue().data(),
            Buffers.toArray(net.params().slice(v.offset(), v.size()), v.size()), TOL);
      }
    }
  }

  /** |a - b| <= tol * max(1, |a|) elementwise, reporting the worst element. */
  static void assertClose(String what, float[] expected, float[] actual, double tol) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i]));
      if (!(err <= worst)) {
        worst = err;
        at = i;
      }
    }
    assertTrue(worst <= tol, what + ": worst error " + worst + " at " + at + " (expected "
        + (at >= 0 ? expected[at] : 0) + ", got " + (at >= 0 ? actual[at] : 0) + ")");
  }
}
