package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** TrainConfig's named setters: each changes its own field and nothing else, and the checks still run. */
class TrainConfigTest {
  private static final LearningRate C = LearningRate.constant();

  @Test
  void eachSetterChangesOnlyItsField() {
    TrainConfig d = TrainConfig.defaults();
    LearningRate cosine = LearningRate.of("cosine", List.of(), LearningRate.GAMMA, 0, 0, "none", LearningRate.MAX_SCALE);
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, false, C), d);
    assertEquals(new TrainConfig(7, 64, 1, false, 1, true, false, C), d.epochs(7));
    assertEquals(new TrainConfig(5, 8, 1, false, 1, true, false, C), d.batchSize(8));
    assertEquals(new TrainConfig(5, 64, 3, false, 1, true, false, C), d.roundsPerEpoch(3));
    assertEquals(new TrainConfig(5, 64, 1, true, 1, true, false, C), d.resetOptimizerState(true));
    assertEquals(new TrainConfig(5, 64, 1, false, 42, true, false, C), d.seed(42));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, false, false, C), d.shuffle(false));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, true, C), d.evalEveryRound(true));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, false, cosine), d.learningRate(cosine));
  }

  @Test
  void settersAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().epochs(0));
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().batchSize(0));
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().roundsPerEpoch(0));
  }
}
