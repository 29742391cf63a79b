package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cnnspark.engine.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * The outer update against torch.optim.SGD run in float64 on the same pseudo-gradients, 4 rounds
 * per setting (golden/outer_sgd.safetensors, written by worker-engine/src/test/python/make_outer_golden.py),
 * and the outer rules' settings.
 *
 * <p>Tolerance 1e-6 absolute on values within about 1.5 of zero: the update stores floats
 * (parameters and momentum buffer, as checkpoints do), PyTorch keeps float64, and the golden file
 * holds float32, so each side rounds by at most 6e-8 per value and round; the worst difference
 * measured is 1.2e-7 (bmuf_w4). A wrong rule misses by far more: Nesterov's extra
 * momentum * buf term alone is above 1e-3 ({@link #nesterovIsNotPlainMomentum}).
 */
class OuterSgdTest {
  static final double TOL = 1e-6;
  static final Map<String, OuterSgd> CASES = new LinkedHashMap<>();

  static {
    CASES.put("plain", new OuterSgd(0.7, 0, false));
    CASES.put("momentum", new OuterSgd(1, 0.75, false));
    CASES.put("diloco", OuterRules.DILOCO.settings(2));
    CASES.put("bmuf_w4", OuterRules.BMUF.settings(4));
  }

  static SafeTensors.Contents golden() throws IOException {
    try (InputStream in = OuterSgdTest.class.getResourceAsStream("/golden/outer_sgd.safetensors")) {
      return SafeTensors.readContents(in, "outer_sgd.safetensors");
    }
  }

  /** The round's sum as one partition of one example whose parameters are the average: its mean is them exactly. */
  static ParamSum averageOf(float[] avg) {
    ParamSum sum = new ParamSum(avg.length, 0);
    sum.add(new PartitionResult(0, 1, 0, 0, 1, avg, new float[0], null, 0));
    return sum;
  }

  /** Runs the golden rounds of {@code name} with {@code outer}; the largest difference from PyTorch. */
  static double worstError(SafeTensors.Contents g, String name, OuterSgd outer) {
    int trainable = Integer.parseInt(g.metadata().get("trainable"));
    int rounds = Integer.parseInt(g.metadata().get("rounds"));
    float[] x = g.tensors().get("x0").data();
    float[] buf = new float[outer.stateSize(trainable)];
    double worst = 0;
    for (int r = 0; r < rounds; r++) {
      OuterSgd.Step step = outer.step(x, averageOf(g.tensors().get(name + ".avg." + r).data()), buf, trainable);
      worst = Math.max(worst, maxDiff(g.tensors().get(name + ".params." + r).data(), step.params()));
      if (outer.momentum() > 0) {
        worst = Math.max(worst, maxDiff(g.tensors().get(name + ".buf." + r).data(), step.buffer()));
      }
      x = step.params();
      buf = step.buffer();
    }
    return worst;
  }

  static double maxDiff(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    double m = 0;
    for (int i = 0; i < expected.length; i++) {
      m = Math.max(m, Math.abs((double) expected[i] - actual[i]));
    }
    return m;
  }

  @Test
  void matchesPyTorchSgdOnThePseudoGradients() throws IOException {
    SafeTensors.Contents g = golden();
    for (Map.Entry<String, OuterSgd> c : CASES.entrySet()) {
      String settings = g.metadata().get(c.getKey());
      OuterSgd o = c.getValue();
      assertEquals("lr=" + o.lr() + " momentum=" + o.momentum() + " nesterov=" + (o.nesterov() ? "True" : "False"),
          settings, "the case's settings in the golden file");
      double worst = worstError(g, c.getKey(), o);
      assertTrue(worst < TOL, c.getKey() + ": off by " + worst);
    }
  }

  @Test
  void nesterovIsNotPlainMomentum() throws IOException {
    assertTrue(worstError(golden(), "diloco", new OuterSgd(0.7, 0.9, false)) > 1e-3, "the test tells the rules apart");
  }

  @Test
  void buffersAfterTheTrainablePrefixAreTheWorkersAverage() {
    float[] start = {1, 2, 3, 0.5f};
    float[] avg = {0.9f, 2.1f, 2.5f, 0.75f};
    OuterSgd.Step s = OuterRules.DILOCO.settings(4).step(start, averageOf(avg), new float[2], 2);
    assertEquals(2.5f, s.params()[2]);
    assertEquals(0.75f, s.params()[3]);
    assertEquals(2, s.buffer().length);
    // first step: buf = d, Nesterov g = d + 0.9 d = 1.9 d, x' = x - 0.7 * 1.9 d
    assertEquals(1 - 0.7 * 1.9 * (1 - 0.9f), s.params()[0], 1e-6);
  }

  @Test
  void theRulesSettings() {
    assertTrue(OuterRules.AVERAGE.settings(8).isAverage());
    assertTrue(OuterRules.BMUF.settings(1).isAverage(), "bmuf on one worker is plain averaging");
    assertFalse(OuterRules.BMUF.settings(1).nesterov());
    assertEquals(new OuterSgd(1, 0.75, true), OuterRules.BMUF.settings(4));
    assertEquals(new OuterSgd(0.7, 0.9, true), OuterRules.DILOCO.settings(1));
    assertEquals(0, OuterRules.AVERAGE.settings(3).stateSize(100));
    assertEquals(100, OuterRules.DILOCO.settings(3).stateSize(100));
    assertEquals(OuterRules.BMUF, OuterRules.get(" BMUF"));
    assertEquals("average, momentum, bmuf or diloco", OuterRules.names());
    assertTrue(OuterRules.MOMENTUM.settings(1).isAverage(), "the default rule on one worker is plain averaging");
    assertEquals(new OuterSgd(1, 0.5, true), OuterRules.MOMENTUM.settings(2));
    assertEquals(new OuterSgd(1, 0.5, true), OuterRules.MOMENTUM.settings(16), "not growing with W");
  }

  @Test
  void givenSettingsReplaceTheRules() {
    assertEquals(new OuterSgd(0.5, 0.9, true), new OuterConfig("diloco", 0.5, null, null).settings(2));
    assertEquals(new OuterSgd(0.7, 0.9, false), new OuterConfig("diloco", null, null, false).settings(2));
    assertEquals(new OuterSgd(0.7, 0, false), new OuterConfig("diloco", null, 0.0, null).settings(2),
        "no Nesterov without momentum");
    assertEquals(new OuterSgd(1, 0.5, true), new OuterConfig("average", null, 0.5, true).settings(2));
    assertTrue(OuterConfig.ABSENT.isAbsent());
    assertTrue(new OuterConfig("Average", null, null, null).isAbsent());
    assertFalse(new OuterConfig("average", 1.0, null, null).isAbsent());
  }

  @Test
  void badSettingsNameTheirOption() {
    String[][] cases = {{"-0.1", null, "--outer-lr"}, {"0", null, "--outer-lr"}, {"NaN", null, "--outer-lr"},
        {"11", null, "--outer-lr"}, {null, "1", "--outer-momentum"}, {null, "-0.5", "--outer-momentum"},
        {null, "NaN", "--outer-momentum"}};
    for (String[] c : cases) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OuterConfig("diloco",
          c[0] == null ? null : Double.valueOf(c[0]), c[1] == null ? null : Double.valueOf(c[1]), null));
      assertTrue(e.getMessage().contains(c[2]), e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OuterConfig("slowmo", null, null,
        null));
    assertTrue(e.getMessage().contains("--outer must be average, momentum, bmuf or diloco"), e.getMessage());
  }
}
