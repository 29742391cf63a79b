package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The learning-rate schedules against PyTorch's schedulers stepped per iteration
 * (golden/lr_schedules.json, written by worker-engine/src/test/python/make_lr_schedules.py):
 * LinearLR warm-up, MultiStepLR, CosineAnnealingLR and their chains, with scaling and its cap. Both
 * sides compute in double; they differ by rounding only (PyTorch's recursive forms against the
 * closed forms here, ~1e-15 relative), while a wrong term (an off-by-one step, the cap, the wrong
 * start of the warm-up) moves a rate by 1e-3 relative or more: the 1e-9 tolerance tells them apart.
 */
class LearningRateTest {
  private static final double TOLERANCE = 1e-9;

  static JsonNode golden() throws IOException {
    try (InputStream in = LearningRateTest.class.getResourceAsStream("/golden/lr_schedules.json")) {
      assertTrue(in != null, "golden/lr_schedules.json is missing: run make_lr_schedules.py");
      return new ObjectMapper().readTree(in);
    }
  }

  static LearningRate of(JsonNode c) {
    List<Double> milestones = new ArrayList<>();
    c.path("milestones").forEach(m -> milestones.add(m.asDouble()));
    return LearningRate.of(c.path("schedule").asText(), milestones, c.path("gamma").asDouble(), c.path("min").asDouble(),
        c.path("warmup_epochs").asDouble(), c.path("scaling").asText(), c.path("max_scale").asDouble());
  }

  @Test
  void everyStepsRateIsPyTorchs() throws IOException {
    JsonNode cases = golden().path("cases");
    assertTrue(cases.size() >= 6, "golden cases: " + cases.size());
    for (JsonNode c : cases) {
      LearningRate lr = of(c);
      TrainConfig cfg = TrainConfig.defaults().epochs(c.path("epochs").asInt()).learningRate(lr);
      int steps = c.path("steps_per_epoch").asInt();
      JsonNode rates = c.path("rates");
      assertEquals(cfg.epochs() * steps, rates.size(), c.path("name").asText());
      for (int i = 0; i < rates.size(); i++) {
        double t = i / steps + (double) (i % steps) / steps; // epoch + b / B, as RoundTask forms it
        double got = cfg.lr(c.path("lr").asDouble(), t, c.path("workers").asInt());
        double want = rates.get(i).asDouble();
        if (!(Math.abs(got - want) <= TOLERANCE * Math.abs(want) + 1e-18)) {
          fail(c.path("name").asText() + " (" + c.path("pytorch") + ", " + lr.describe(cfg.epochs()) + ") step " + i
              + ": " + got + ", PyTorch " + want);
        }
      }
    }
  }

  @Test
  void theAbsentValuesGiveTheOptimizersRateExactly() {
    LearningRate c = LearningRate.constant();
    assertTrue(c.isConstant());
    for (double base : new double[] {0.01, 0.1, 3e-4, 0.7}) {
      for (int w : new int[] {1, 2, 16}) {
        assertEquals(Double.doubleToRawLongBits(base), Double.doubleToRawLongBits(c.at(base, 1.37, w, 5)));
      }
    }
    assertEquals(Map.of(), c.givenOptions(), "nothing for a checkpoint to store");
    assertEquals("constant", c.describe(5));
  }

  @Test
  void oneWorkerIsNeitherScaledNorWarmedUp() {
    LearningRate lr = LearningRate.of("cosine", List.of(), LearningRate.GAMMA, 0, 2, "linear", 8);
    LearningRate plain = LearningRate.of("cosine", List.of(), LearningRate.GAMMA, 0, 0, "none", 8);
    for (double t = 0; t < 4; t += 0.125) {
      assertEquals(plain.at(0.05, t, 1, 4), lr.at(0.05, t, 1, 4), 0.0, "t = " + t);
    }
  }

  @Test
  void theScaleIsCapped() {
    LearningRate linear = LearningRate.of("constant", List.of(), LearningRate.GAMMA, 0, 0, "linear", 8);
    assertEquals(4, linear.scale(4), 0.0);
    assertEquals(8, linear.scale(16), 0.0);
    LearningRate sqrt = LearningRate.of("constant", List.of(), LearningRate.GAMMA, 0, 0, "SQRT", 3);
    assertEquals(2, sqrt.scale(4), 0.0);
    assertEquals(3, sqrt.scale(16), 0.0);
    assertEquals(Map.of("lr-scaling", "sqrt", "max-lr-scale", "3.0"), sqrt.givenOptions());
  }

  @Test
  void givenSettingsAreWhatACheckpointStores() {
    LearningRate lr = LearningRate.of("step", List.of(3.0, 4.5), 0.5, 0, 1.5, "linear", 8);
    assertEquals(Map.of("lr-schedule", "step", "lr-milestones", "3.0,4.5", "lr-gamma", "0.5", "warmup-epochs", "1.5",
        "lr-scaling", "linear"), lr.givenOptions());
    assertEquals("step: times 0.5 at epochs 3.0,4.5; warm-up 1.5 epochs; linear scaling, cap 8.0", lr.describe(5));
    assertEquals(List.of(3.0, 4.5), LearningRate.parseMilestones(" 3, 4.5 "));
  }

  @Test
  void aTaskClosureCarriesTheRegisteredSchedules() throws Exception {
    TrainConfig cfg = TrainConfig.defaults().learningRate(LearningRate.of("cosine", List.of(), LearningRate.GAMMA, 0.001,
        1, "sqrt", 8));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(cfg);
    }
    TrainConfig back;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (TrainConfig) in.readObject();
    }
    assertEquals(cfg, back);
    assertSame(LrSchedules.COSINE, back.learningRate().schedule());
    assertSame(LrSchedules.SQRT, back.learningRate().scaling());
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "cosinus; ''; 0.1; 0; 0; none; 8; 5; --lr-schedule must be constant, step or cosine, got 'cosinus'",
      "constant; ''; 0.1; 0; 0; double; 8; 5; --lr-scaling must be none, linear or sqrt, got 'double'",
      "step; ''; 0.1; 0; 0; none; 8; 5; --lr-schedule step needs --lr-milestones",
      "step; 3,2; 0.1; 0; 0; none; 8; 5; --lr-milestones must increase, got 3.0,2.0",
      "step; 3,3; 0.1; 0; 0; none; 8; 5; --lr-milestones must increase",
      "step; -1,2; 0.1; 0; 0; none; 8; 5; --lr-milestones must be epochs > 0, got -1.0",
      "step; 2,7; 0.1; 0; 0; none; 8; 5; --lr-milestones 2.0,7.0 go beyond the run's 5 epochs",
      "step; 2; 0; 0; 0; none; 8; 5; --lr-gamma must be in (0, 1], got 0.0",
      "step; 2; 1.5; 0; 0; none; 8; 5; --lr-gamma must be in (0, 1], got 1.5",
      "constant; 2; 0.1; 0; 0; none; 8; 5; --lr-milestones applies to --lr-schedule step only",
      "cosine; ''; 0.5; 0; 0; none; 8; 5; --lr-gamma applies to --lr-schedule step only",
      "step; 2; 0.1; 0.001; 0; none; 8; 5; --lr-min applies to --lr-schedule cosine only",
      "cosine; ''; 0.1; -1; 0; none; 8; 5; --lr-min must be >= 0",
      "constant; ''; 0.1; 0; -1; linear; 8; 5; --warmup-epochs must be >= 0, got -1.0",
      "constant; ''; 0.1; 0; 6; linear; 8; 5; --warmup-epochs 6.0 is longer than the run's 5 epochs",
      "constant; ''; 0.1; 0; 0; linear; 0.5; 5; --max-lr-scale must be in [1, 1024], got 0.5",
      "constant; ''; 0.1; 0; 0; linear; -2; 5; --max-lr-scale must be in [1, 1024]",
      "constant; ''; 0.1; 0; 0; linear; 1e9; 5; --max-lr-scale must be in [1, 1024]",
      "constant; ''; 0.1; 0; 0; linear; NaN; 5; --max-lr-scale must be in [1, 1024]",
  })
  void badSettingsAreRefusedNamingTheOption(String schedule, String milestones, double gamma, double min, double warmup,
      String scaling, double cap, int epochs, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().epochs(epochs)
        .learningRate(LearningRate.of(schedule, LearningRate.parseMilestones(milestones), gamma, min, warmup, scaling, cap)));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void nonNumericMilestonesAndAMinimumAboveTheRateAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LearningRate.parseMilestones("3,x"));
    assertTrue(e.getMessage().contains("--lr-milestones must be epochs separated by commas"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LearningRate.parseMilestones("3,,4"));
    LearningRate cosine = LearningRate.of("cosine", List.of(), LearningRate.GAMMA, 0.05, 0, "none", 8);
    e = assertThrows(IllegalArgumentException.class, () -> cosine.checkBase(0.01));
    assertTrue(e.getMessage().contains("--lr-min 0.05 must be below the learning rate 0.01"), e.getMessage());
  }

  @Test
  void aWarmUpOrCapWithoutScalingIsExactlyTheOptimizersRate() {
    // the defaults warm up; --lr-scaling none alone must then give the old rate at every step, bit for bit
    LearningRate none = LearningRate.of("constant", List.of(), LearningRate.GAMMA, 0, 0.75, "none", 3);
    for (double t : new double[] {0, 0.1, 0.5, 0.74, 1, 2.5}) {
      for (int w : new int[] {1, 2, 16}) {
        assertEquals(Double.doubleToRawLongBits(0.01), Double.doubleToRawLongBits(none.at(0.01, t, w, 5)), t + " " + w);
      }
    }
  }

  @Test
  void theDefaultsFitAOneEpochRun() {
    TrainConfig one = TrainConfig.defaults().epochs(1);
    assertEquals(TrainDefaults.learningRate(), one.learningRate());
    assertEquals(TrainDefaults.ROUNDS_PER_EPOCH, one.roundsInEpoch(0));
  }
}
