package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** TrainConfig's named setters: each changes its own field and nothing else, and the checks still run. */
class TrainConfigTest {
  @Test
  void eachSetterChangesOnlyItsField() {
    TrainConfig d = TrainConfig.defaults();
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, false), d);
    assertEquals(new TrainConfig(7, 64, 1, false, 1, true, false), d.epochs(7));
    assertEquals(new TrainConfig(5, 8, 1, false, 1, true, false), d.batchSize(8));
    assertEquals(new TrainConfig(5, 64, 3, false, 1, true, false), d.roundsPerEpoch(3));
    assertEquals(new TrainConfig(5, 64, 1, true, 1, true, false), d.resetOptimizerState(true));
    assertEquals(new TrainConfig(5, 64, 1, false, 42, true, false), d.seed(42));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, false, false), d.shuffle(false));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, true), d.evalEveryRound(true));
  }

  @Test
  void settersAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().epochs(0));
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().batchSize(0));
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().roundsPerEpoch(0));
  }
}
