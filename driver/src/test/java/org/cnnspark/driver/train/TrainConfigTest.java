package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** TrainConfig's named setters: each changes its own field and nothing else, and the checks still run. */
class TrainConfigTest {
  static final LearningRate C = LearningRate.constant();
  static final OuterConfig NO_OUTER = OuterConfig.ABSENT;
  static final List<Integer> NO_SCHEDULE = List.of();

  @Test
  void eachSetterChangesOnlyItsField() {
    TrainConfig d = TrainConfig.absent();
    LearningRate cosine = LearningRate.of("cosine", List.of(), LearningRate.GAMMA, 0, 0, "none", LearningRate.MAX_SCALE);
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, false, C, NO_OUTER, NO_SCHEDULE), d);
    assertEquals(new TrainConfig(7, 64, 1, false, 1, true, false, C, NO_OUTER, NO_SCHEDULE), d.epochs(7));
    assertEquals(new TrainConfig(5, 8, 1, false, 1, true, false, C, NO_OUTER, NO_SCHEDULE), d.batchSize(8));
    assertEquals(new TrainConfig(5, 64, 3, false, 1, true, false, C, NO_OUTER, NO_SCHEDULE), d.roundsPerEpoch(3));
    assertEquals(new TrainConfig(5, 64, 1, true, 1, true, false, C, NO_OUTER, NO_SCHEDULE), d.resetOptimizerState(true));
    assertEquals(new TrainConfig(5, 64, 1, false, 42, true, false, C, NO_OUTER, NO_SCHEDULE), d.seed(42));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, false, false, C, NO_OUTER, NO_SCHEDULE), d.shuffle(false));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, true, C, NO_OUTER, NO_SCHEDULE), d.evalEveryRound(true));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, false, cosine, NO_OUTER, NO_SCHEDULE), d.learningRate(cosine));
    OuterConfig diloco = new OuterConfig("diloco", null, null, null);
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, false, C, diloco, NO_SCHEDULE), d.outer(diloco));
    assertEquals(new TrainConfig(5, 64, 1, false, 1, true, false, C, NO_OUTER, List.of(8, 2, 1)),
        d.roundsSchedule(List.of(8, 2, 1)));
  }

  @Test
  void theDefaultsAreTrainDefaultsAndTheAbsentValuesTheOldRounds() {
    TrainConfig d = TrainConfig.defaults();
    assertEquals(TrainConfig.absent().roundsPerEpoch(TrainDefaults.ROUNDS_PER_EPOCH)
        .learningRate(TrainDefaults.learningRate()).outer(TrainDefaults.outer()), d);
    assertEquals(1, TrainConfig.absent().roundsPerEpoch());
    assertTrue(TrainConfig.absent().learningRate().isConstant());
    assertTrue(TrainConfig.absent().outer().isAbsent());
    assertEquals("per-epoch averaging, optimizer state averaged", TrainConfig.absent().averagingMode());
  }

  @Test
  void settersAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().epochs(0));
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().batchSize(0));
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().roundsPerEpoch(0));
    assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().roundsSchedule(List.of(2, 0)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainConfig.defaults().epochs(2).roundsSchedule(List.of(8, 2, 1)));
    assertTrue(e.getMessage().contains("8,2,1") && e.getMessage().contains("--rounds-per-epoch"), e.getMessage());
  }

  @Test
  void aScheduleGivesEachEpochsRoundsThenRepeatsItsLast() {
    TrainConfig c = TrainConfig.defaults().epochs(5).roundsSchedule(List.of(8, 2, 1));
    int[] rounds = new int[5];
    for (int e = 0; e < 5; e++) {
      rounds[e] = c.roundsInEpoch(e);
    }
    assertEquals(List.of(8, 2, 1, 1, 1), java.util.Arrays.stream(rounds).boxed().toList());
    assertEquals(0, c.roundsBefore(0));
    assertEquals(10, c.roundsBefore(2));
    assertEquals(12, c.roundsBefore(4));
    assertEquals("8,2,1", c.roundsText());
    TrainConfig plain = TrainConfig.defaults().roundsSchedule(List.of(3));
    assertEquals(TrainConfig.defaults().roundsPerEpoch(3), plain, "one entry is plain rounds per epoch");
    assertEquals("3", plain.roundsText(), "the checkpoint option of plain rounds stays a number");
    assertEquals(9, plain.roundsBefore(3));
    assertEquals(TrainConfig.defaults().roundsPerEpoch(2),
        TrainConfig.defaults().roundsSchedule(List.of(8, 2)).roundsPerEpoch(2), "plain rounds replace a schedule");
  }

  @Test
  void roundsParseAsANumberOrAList() {
    assertEquals(List.of(1), TrainConfig.parseRounds("1", "--rounds-per-epoch"));
    assertEquals(List.of(8, 2, 1), TrainConfig.parseRounds("8, 2,1", "--rounds-per-epoch"));
    for (String bad : new String[] {"", "8,,1", "8,a", "0", "3,-1", "2.5", ","}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> TrainConfig.parseRounds(bad, "--rounds-per-epoch"), bad);
      assertTrue(e.getMessage().startsWith("--rounds-per-epoch") && e.getMessage().contains("'" + bad + "'"),
          e.getMessage());
    }
  }

  @Test
  void averagingModeNamesTheScheduleAndTheOuterRule() {
    assertEquals("per-epoch averaging, optimizer state averaged", TrainConfig.absent().averagingMode());
    String m = TrainConfig.absent().roundsSchedule(List.of(4, 1)).outer(new OuterConfig("BMUF", 0.5, null, null))
        .averagingMode();
    assertEquals("averaging 4, then 1 times per epoch, outer bmuf with lr 0.5, optimizer state averaged", m);
    assertTrue(TrainConfig.absent().roundsSchedule(List.of(8, 2, 1)).averagingMode()
        .startsWith("averaging 8, 2, then 1 times per epoch"));
  }
}
