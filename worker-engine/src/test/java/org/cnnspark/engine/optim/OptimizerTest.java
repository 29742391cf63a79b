package org.cnnspark.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.cnnspark.engine.Buffers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SGD, Adam and AdamW against PyTorch's documented update rules, written out here in double
 * precision (torch.optim.SGD, Adam and AdamW pseudo-code), over 10 steps on random vectors longer than
 * the optimizers' 4096-float tiles. The float implementation may differ from the double one by
 * rounding only (2e-6 relative), while any wrong term moves a step of lr * |g|, 1e-3 or more.
 */
class OptimizerTest {
  private static final int P = 4096 + 37;
  private static final int STEPS = 10;

  static Stream<OptimizerConfig> configs() {
    return Stream.of(
        OptimizerConfig.sgd(0.1, 0, false, 0),
        OptimizerConfig.sgd(0.05, 0, false, 0.01),
        OptimizerConfig.sgd(0.05, 0.9, false, 0),
        OptimizerConfig.sgd(0.05, 0.9, false, 0.01),
        OptimizerConfig.sgd(0.02, 0.8, true, 0),
        OptimizerConfig.sgd(0.02, 0.5, true, 0.05),
        OptimizerConfig.adam(0.01, 0.9, 0.999, 1e-8, 0),
        OptimizerConfig.adam(0.003, 0.8, 0.99, 1e-6, 0.05),
        OptimizerConfig.adam(0.1, 0.0, 0.5, 1e-3, 0),
        AdamW.TYPE.defaults(),
        OptimizerConfig.adamw(0.01, 0.8, 0.99, 1e-6, 0.1),
        OptimizerConfig.adamw(0.003, 0.9, 0.999, 1e-8, 0));
  }

  /** PyTorch's rules in double; state arrays as PyTorch keeps them (momentum_buffer, exp_avg, exp_avg_sq). */
  static final class Reference {
    final OptimizerConfig c;
    final double[] p;
    final double[] buf;
    final double[] m;
    final double[] v;
    int t;

    Reference(OptimizerConfig c, double[] p) {
      this.c = c;
      this.p = p.clone();
      buf = new double[p.length];
      m = new double[p.length];
      v = new double[p.length];
    }

    /** One step at the rate {@code lr} (a scheduler's), which replaces c.lr() in every term, AdamW's decay too. */
    void step(float[] grad, double lr) {
      t++;
      for (int i = 0; i < p.length; i++) {
        double g = grad[i];
        if (c.type() == AdamW.TYPE) {
          p[i] *= 1 - lr * c.weightDecay(); // decoupled: the gradient is left alone
        } else if (c.weightDecay() != 0) {
          g += c.weightDecay() * p[i];
        }
        if (c.type() == Sgd.TYPE) {
          if (c.momentum() != 0) {
            buf[i] = t == 1 ? g : c.momentum() * buf[i] + g; // dampening 0
            g = c.nesterov() ? g + c.momentum() * buf[i] : buf[i];
          }
          p[i] -= lr * g;
        } else {
          m[i] = c.beta1() * m[i] + (1 - c.beta1()) * g;
          v[i] = c.beta2() * v[i] + (1 - c.beta2()) * g * g;
          double mHat = m[i] / (1 - Math.pow(c.beta1(), t));
          double vHat = v[i] / (1 - Math.pow(c.beta2(), t));
          p[i] -= lr * mHat / (Math.sqrt(vHat) + c.eps());
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("configs")
  void followsPyTorchsUpdateRule(OptimizerConfig c) {
    Optimizer opt = followRule(c, c.hashCode(), null);
    assertEquals(c.stateFloatsPerParam() * P, opt.stateSize());
    assertEquals(STEPS, opt.steps());
  }

  /**
   * A rate set before each step (as a schedule does) is that step's rate in every term: ten steps at
   * rates from 0.2 to 3 times the config's follow PyTorch's rule at those rates; reset() forgets it.
   */
  @ParameterizedTest
  @MethodSource("configs")
  void aSetLearningRateIsThatStepsRate(OptimizerConfig c) {
    assertEquals(c.lr(), c.create(P).lr(), 0.0, "unset: the config's");
    Optimizer opt = followRule(c, c.hashCode() + 1, t -> c.lr() * (0.2 + 0.3 * (t - 1)));
    opt.reset();
    assertEquals(c.lr(), opt.lr(), 0.0, "reset: the config's again");
    assertThrows(IllegalArgumentException.class, () -> opt.setLr(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> opt.setLr(-1e-3));
  }

  /**
   * STEPS steps on random parameters and gradients against the reference, the parameters after
   * each and the state after the last; {@code lrOfStep} (of t = 1, 2, ...) sets each step's rate,
   * null leaves the config's.
   */
  private static Optimizer followRule(OptimizerConfig c, long seed, IntToDoubleFunction lrOfStep) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] p0 = new float[P];
    double[] pd = new double[P];
    for (int i = 0; i < P; i++) {
      p0[i] = (float) rng.nextGaussian();
      pd[i] = p0[i];
    }
    Reference ref = new Reference(c, pd);
    FloatBuffer params = Buffers.of(p0);
    Optimizer opt = c.create(P);
    for (int t = 1; t <= STEPS; t++) {
      float[] g = new float[P];
      for (int i = 0; i < P; i++) {
        g[i] = (float) (rng.nextGaussian() * (1 + i % 3)); // different scales per coordinate, as Adam normalises them
      }
      double lr = lrOfStep == null ? c.lr() : lrOfStep.applyAsDouble(t);
      if (lrOfStep != null) {
        opt.setLr(lr);
      }
      ref.step(g, lr);
      opt.step(params, Buffers.of(g));
      assertEquals(t, opt.steps());
      expectClose(c + " step " + t + " at lr " + lr + ", parameter", ref.p, Buffers.toArray(params, P));
    }
    float[] state = opt.stateArray();
    if (c.stateFloatsPerParam() == 2) {
      expectClose(c + " exp_avg (state [0, P))", ref.m, java.util.Arrays.copyOfRange(state, 0, P));
      expectClose(c + " exp_avg_sq (state [P, 2P))", ref.v, java.util.Arrays.copyOfRange(state, P, 2 * P));
    } else if (c.momentum() > 0) {
      expectClose(c + " momentum_buffer", ref.buf, state);
    }
    return opt;
  }

  /** Within 2e-6 of |value| + rms(values): a momentum buffer that nearly cancels keeps the rounding of its history. */
  private static void expectClose(String what, double[] expected, float[] actual) {
    double sq = 0;
    for (double e : expected) {
      sq += e * e;
    }
    double scale = Math.sqrt(sq / expected.length);
    for (int i = 0; i < expected.length; i++) {
      double tol = 2e-6 * (Math.abs(expected[i]) + scale);
      if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
        fail(what + " " + i + ": " + actual[i] + ", PyTorch's rule gives " + expected[i]);
      }
    }
  }

  /** A zero gradient with weight decay still shrinks the weights, by exactly lr * wd * p on SGD's first step. */
  @Test
  void weightDecayIsAddedToTheGradient() {
    FloatBuffer p = Buffers.of(2f, -4f);
    OptimizerConfig.sgd(0.5, 0.9, false, 0.1).create(2).step(p, Buffers.of(0f, 0f));
    assertEquals(2f - 0.5f * 0.1f * 2f, p.get(0), 1e-7);
    assertEquals(-4f + 0.5f * 0.1f * 4f, p.get(1), 1e-7);
  }

  /** Adam's first step moves every coordinate by about lr, whatever the gradient's scale (bias correction). */
  @Test
  void adamsFirstStepIsLearningRateSized() {
    FloatBuffer p = Buffers.of(0f, 0f, 0f);
    OptimizerConfig.adam(0.01, 0.9, 0.999, 1e-8, 0).create(3).step(p, Buffers.of(1e-3f, -50f, 7f));
    assertEquals(-0.01f, p.get(0), 1e-6);
    assertEquals(0.01f, p.get(1), 1e-6);
    assertEquals(-0.01f, p.get(2), 1e-6);
  }

  /**
   * AdamW's decay bypasses the moments: with a zero gradient its first step only shrinks the
   * weights by lr * wd, while Adam's L2 decay goes through them and moves every weight by about lr.
   */
  @Test
  void adamwDecaysTheWeightsApartFromTheGradient() {
    FloatBuffer w = Buffers.of(4f, -8f);
    OptimizerConfig.adamw(0.1, 0.9, 0.999, 1e-8, 0.5).create(2).step(w, Buffers.of(0f, 0f));
    assertEquals(4f * 0.95f, w.get(0), 1e-6);
    assertEquals(-8f * 0.95f, w.get(1), 1e-6);
    FloatBuffer a = Buffers.of(4f, -8f);
    OptimizerConfig.adam(0.1, 0.9, 0.999, 1e-8, 0.5).create(2).step(a, Buffers.of(0f, 0f));
    assertEquals(3.9f, a.get(0), 1e-6);
    assertEquals(-7.9f, a.get(1), 1e-6);
  }

  /** PyTorch's AdamW defaults, which the command line and the Estimator use when nothing is given. */
  @Test
  void adamwDefaultsArePyTorchs() {
    assertEquals(OptimizerConfig.adamw(0.001, 0.9, 0.999, 1e-8, 0.01), Optimizers.get("adamw").defaults());
    assertEquals("adamw lr=0.001 betas=(0.9, 0.999) eps=1.0E-8 weight_decay=0.01", AdamW.TYPE.defaults().describe());
    assertEquals(2, AdamW.TYPE.defaults().stateFloatsPerParam());
  }

  /** Saving state and step count and loading them into a fresh optimizer continues the same run, bit for bit. */
  @ParameterizedTest
  @MethodSource("configs")
  void stateRoundTripContinuesTheSameRun(OptimizerConfig c) {
    SplittableRandom rng = new SplittableRandom(7);
    int n = 50;
    float[][] grads = new float[6][n];
    for (float[] g : grads) {
      for (int i = 0; i < n; i++) {
        g[i] = (float) rng.nextGaussian();
      }
    }
    float[] start = new float[n];
    for (int i = 0; i < n; i++) {
      start[i] = (float) rng.nextGaussian();
    }
    FloatBuffer a = Buffers.of(start);
    Optimizer one = c.create(n);
    for (float[] g : grads) {
      one.step(a, Buffers.of(g));
    }
    FloatBuffer b = Buffers.of(start);
    Optimizer first = c.create(n);
    for (int s = 0; s < 3; s++) {
      first.step(b, Buffers.of(grads[s]));
    }
    Optimizer second = c.create(n);
    second.setState(first.stateArray());
    second.setSteps(first.steps());
    for (int s = 3; s < 6; s++) {
      second.step(b, Buffers.of(grads[s]));
    }
    assertArrayEquals(Buffers.toArray(a, n), Buffers.toArray(b, n), c.toString());
    assertArrayEquals(one.stateArray(), second.stateArray(), c + " state");
    assertEquals(6, second.steps());
  }

  /** reset() forgets momentum and moments: the next step is a first step again. */
  @ParameterizedTest
  @MethodSource("configs")
  void resetStartsAfresh(OptimizerConfig c) {
    float[] start = {0.5f, -1f, 2f};
    float[] g = {0.3f, 0.1f, -0.7f};
    FloatBuffer fresh = Buffers.of(start);
    c.create(3).step(fresh, Buffers.of(g));
    Optimizer used = c.create(3);
    FloatBuffer scratch = Buffers.of(start);
    used.step(scratch, Buffers.of(1f, 2f, 3f));
    used.step(scratch, Buffers.of(-2f, 0f, 1f));
    used.reset();
    assertEquals(0, used.steps());
    FloatBuffer again = Buffers.of(start);
    used.step(again, Buffers.of(g));
    assertArrayEquals(Buffers.toArray(fresh, 3), Buffers.toArray(again, 3), c.toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "rmsprop; 0.1; 0; false; unknown optimizer 'rmsprop': use sgd",
      "sgd; 0; 0; false; learning rate must be > 0",
      "sgd; 0.1; 1; false; momentum must be in [0, 1)",
      "sgd; 0.1; 0; true; Nesterov momentum needs momentum > 0",
      "sgd; NaN; 0; false; learning rate must be > 0",
  })
  void badSettingsAreRefused(String type, double lr, double momentum, boolean nesterov, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OptimizerConfig(Optimizers.get(type), lr, momentum, nesterov, 0, 0.9, 0.999, 1e-8));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void badAdamSettingsAreRefused() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(1e-3, 1.0, 0.999, 1e-8, 0))
        .getMessage().contains("Adam betas must be in [0, 1)"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(1e-3, 0.9, 0.999, 0, 0))
        .getMessage().contains("Adam eps must be > 0"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(1e-3, 0.9, 0.999, 1e-8, -1))
        .getMessage().contains("weight decay must be >= 0"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OptimizerConfig.sgd(0.1, 0.9, false, 0).create(3).setState(new float[2]));
    assertTrue(e.getMessage().contains("optimizer state has 2 floats, expected 3"), e.getMessage());
  }

  /** The JSON form carries every setting, so a config read back is the one written. */
  @ParameterizedTest
  @MethodSource("configs")
  void jsonFormReadsBackAsTheSameSettings(OptimizerConfig c) {
    assertEquals(c, OptimizerConfig.fromJson(c.toJson()));
    assertEquals(c, OptimizerConfig.parse(c.toJson().toString()));
  }

  /** The text form names the type and the settings it uses, in PyTorch's words. */
  @Test
  void textFormListsTheSettingsTheTypeUses() {
    assertEquals("sgd lr=0.05 momentum=0.9 nesterov=true weight_decay=0.01",
        OptimizerConfig.sgd(0.05, 0.9, true, 0.01).describe());
    assertEquals("adam lr=0.003 betas=(0.8, 0.99) eps=1.0E-6 weight_decay=0.05",
        OptimizerConfig.adam(0.003, 0.8, 0.99, 1e-6, 0.05).describe());
  }

  /** Settings not given take the type's defaults; given ones the type does not read are left out. */
  @Test
  void settingsNotGivenTakeTheTypesDefaults() {
    assertEquals(OptimizerConfig.sgd(0.01, 0.9, false, 0), Sgd.TYPE.defaults().with(null, null, null, null));
    assertEquals(OptimizerConfig.sgd(0.1, 0.5, true, 1e-4), Sgd.TYPE.defaults().with(0.1, 0.5, true, 1e-4));
    assertEquals(OptimizerConfig.adam(0.001, 0.9, 0.999, 1e-8, 0), Adam.TYPE.defaults().with(null, 0.5, true, null));
    assertEquals(OptimizerConfig.adam(0.02, 0.9, 0.999, 1e-8, 0.1), Adam.TYPE.defaults().with(0.02, null, null, 0.1));
  }

  /** Every registered type is found by its name in any case, and its defaults describe itself. */
  @Test
  void everyRegisteredTypeIsFoundByName() {
    for (OptimizerType t : Optimizers.all()) {
      assertEquals(t, Optimizers.get(t.name().toUpperCase(java.util.Locale.ROOT)));
      assertEquals(t, t.defaults().type());
      Optimizer opt = t.defaults().create(5);
      assertEquals(t.defaults().stateFloatsPerParam() * 5, opt.stateSize());
    }
    assertEquals(Adam.TYPE, Optimizers.get(" adam "));
    assertTrue(Optimizers.find("rmsprop").isEmpty());
    assertEquals("sgd", Optimizers.namesUsing(OptimizerConfig.Setting.NESTEROV));
  }
}
