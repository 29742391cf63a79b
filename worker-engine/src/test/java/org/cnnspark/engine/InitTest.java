package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Initialisation: PyTorch's defaults for nn.Conv2d / nn.Linear (weights and biases uniform in
 * +-1/sqrt(fan_in)), Xavier (glorot) uniform and He (kaiming) normal with zero biases, batch-norm's
 * ones and zeros, and the seed. Statistics are checked to 5 standard errors of the estimate, so a
 * wrong fan (fan_out for fan_in, K for K*K) or a wrong distribution fails and chance does not.
 */
class InitTest {
  /** Layers with large fans and small ones, bias on and off, batch-norm between. */
  static final String SPEC = "conv(48,5,pad=2) relu conv(40,3,bias=false) batchnorm relu maxpool(2) flatten dense(300) relu dense(7)";
  static final Shape SHAPE = Shape.parse("3x16x14");

  static Network net(Init init, long seed) {
    return Network.create(ModelSpec.parse(SPEC), SHAPE, init, seed);
  }

  /** fan_in and fan_out as PyTorch's _calculate_fan_in_and_fan_out computes them. */
  static int[] fans(ParamView v) {
    int[] s = v.shape();
    int receptive = s.length == 4 ? s[2] * s[3] : 1;
    return new int[] {s[1] * receptive, s[0] * receptive};
  }

  /** The weight whose bias this is (bias fan_in is its weight's fan_in). */
  static ParamView weightOf(Network net, ParamView bias) {
    return net.view(bias.name().replace(".bias", ".weight"));
  }

  static float[] values(Network net, ParamView v) {
    return Probe.params(net, v);
  }

  static double mean(float[] a) {
    double s = 0;
    for (float v : a) {
      s += v;
    }
    return s / a.length;
  }

  static double meanSquare(float[] a) {
    double s = 0;
    for (float v : a) {
      s += (double) v * v;
    }
    return s / a.length;
  }

  /** U(-b, b): inside the bound, reaching near it, mean 0, mean square b^2/3. */
  static void assertUniform(String what, float[] a, double b) {
    double max = 0;
    for (float v : a) {
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(max <= b, what + ": |value| " + max + " beyond the bound " + b);
    if (a.length >= 100) {
      assertTrue(max > 0.95 * b, what + ": largest |value| " + max + " far inside the bound " + b);
    }
    int n = a.length;
    assertEquals(0, mean(a), 5 * b / Math.sqrt(3.0 * n), what + ": mean");
    // Var(x^2) = b^4/5 - b^4/9 = 4 b^4 / 45
    assertEquals(b * b / 3, meanSquare(a), 5 * b * b * Math.sqrt(4.0 / 45 / n), what + ": mean square");
  }

  @Test
  void pytorchDefaultIsUniformWithinOneOverSqrtFanIn() {
    Network net = net(Init.PYTORCH, 1);
    int tensors = 0;
    for (ParamView v : net.views()) {
      if (v.name().startsWith("bn")) {
        continue;
      }
      ParamView w = v.name().endsWith(".bias") ? weightOf(net, v) : v;
      double bound = 1 / Math.sqrt(fans(w)[0]);
      assertUniform(v.name() + " " + v.shapeString(), values(net, v), bound);
      tensors++;
    }
    assertEquals(7, tensors, "conv1.weight/bias, conv2.weight, fc1.weight/bias, fc2.weight/bias");
    assertEquals(48 * 3 * 25, net.view("conv1.weight").size());
  }

  @Test
  void xavierIsGlorotUniformWithZeroBiases() {
    Network net = net(Init.XAVIER, 1);
    for (ParamView v : net.views()) {
      if (v.name().startsWith("bn")) {
        continue;
      }
      if (v.name().endsWith(".bias")) {
        assertTrue(isConstant(values(net, v), 0f), v.name() + " must start at 0");
      } else {
        int[] f = fans(v);
        assertUniform(v.name(), values(net, v), Math.sqrt(6.0 / (f[0] + f[1])));
      }
    }
  }

  @Test
  void heIsKaimingNormalWithZeroBiases() {
    Network net = net(Init.HE, 1);
    for (ParamView v : net.views()) {
      if (v.name().startsWith("bn")) {
        continue;
      }
      float[] a = values(net, v);
      if (v.name().endsWith(".bias")) {
        assertTrue(isConstant(a, 0f), v.name() + " must start at 0");
        continue;
      }
      double var = 2.0 / fans(v)[0];
      int n = a.length;
      assertEquals(0, mean(a), 5 * Math.sqrt(var / n), v.name() + ": mean");
      // Var(x^2) = 2 var^2 for a normal
      assertEquals(var, meanSquare(a), 5 * var * Math.sqrt(2.0 / n), v.name() + ": variance 2/fan_in");
      long beyond = 0;
      for (float x : a) {
        beyond += Math.abs(x) > 2 * Math.sqrt(var) ? 1 : 0;
      }
      // a normal puts 4.55% beyond 2 sigma; a uniform of the same variance puts none there
      if (n >= 1000) {
        assertEquals(0.0455, (double) beyond / n, 5 * Math.sqrt(0.0455 * 0.9545 / n), v.name() + ": tails of a normal");
      }
    }
  }

  @Test
  void batchNormStartsAsPyTorch() {
    for (Init init : Init.values()) {
      Network net = net(init, 3);
      assertTrue(isConstant(values(net, net.view("bn1.weight")), 1f), init + " bn1.weight");
      assertTrue(isConstant(values(net, net.view("bn1.bias")), 0f), init + " bn1.bias");
      assertTrue(isConstant(values(net, net.view("bn1.running_mean")), 0f), init + " bn1.running_mean");
      assertTrue(isConstant(values(net, net.view("bn1.running_var")), 1f), init + " bn1.running_var");
      assertTrue(isConstant(values(net, net.view("bn1.num_batches_tracked")), 0f), init + " bn1.num_batches_tracked");
    }
  }

  @Test
  void theSeedDecidesEverything() {
    for (Init init : Init.values()) {
      Network a = net(init, 7);
      assertArrayEquals(a.paramsArray(), net(init, 7).paramsArray(), init + ": same seed, same parameters");
      Network c = net(init, 8);
      for (ParamView v : a.views()) {
        float[] va = values(a, v);
        if (!isConstant(va, va[0])) {
          assertFalse(Arrays.equals(va, values(c, v)), init + " " + v.name() + ": another seed, other numbers");
        }
      }
      // initialize() refills a used network exactly as create() did
      Network d = net(init, 9);
      d.initialize(init, 7);
      assertArrayEquals(a.paramsArray(), d.paramsArray(), init + ": initialize(seed) repeats create(seed)");
    }
  }

  /** Each tensor draws from its own stream (seed, tensor index): tensors do not repeat one another. */
  @Test
  void tensorsDrawIndependentNumbers() {
    Network tutorial28 = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("1x28x28"), Init.PYTORCH, 5);
    Network tutorial32 = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("3x32x32"), Init.PYTORCH, 5);
    // conv2 has the same index and shape in both: the input shape elsewhere does not shift its numbers
    assertArrayEquals(values(tutorial28, tutorial28.view("conv2.weight")), values(tutorial32, tutorial32.view("conv2.weight")));
    float[] w = values(tutorial28, tutorial28.view("fc1.weight"));
    float[] b = values(tutorial28, tutorial28.view("fc1.bias"));
    // the two share their bound, so one shared stream would make the bias repeat the weight's first numbers
    assertFalse(Arrays.equals(Arrays.copyOf(w, b.length), b), "fc1.bias repeats the start of fc1.weight");
  }

  @Test
  void namesParse() {
    assertEquals(Init.XAVIER, Init.parse("xavier"));
    assertEquals(Init.HE, Init.parse(" He "));
    assertEquals(Init.PYTORCH, Init.parse("PyTorch"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.parse("glorot"));
    assertTrue(e.getMessage().contains("unknown init 'glorot': use pytorch, xavier or he"), e.getMessage());
  }

  private static boolean isConstant(float[] a, float v) {
    for (float x : a) {
      if (x != v) {
        return false;
      }
    }
    return true;
  }
}
