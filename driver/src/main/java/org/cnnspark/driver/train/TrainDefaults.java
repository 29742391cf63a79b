package org.cnnspark.driver.train;

import java.util.List;
import org.cnnspark.driver.data.DataSplit;

/**
 * The defaults of the issue-11 training options, in one place: the train command's options, the
 * Estimator's Params, {@link TrainConfig#defaults()} and the help texts read them from here. They
 * differ from the options' absent values ({@link TrainConfig#absent()}: the behaviour before these
 * options existed), which checkpoints and saved models of earlier builds keep.
 *
 * <p>Constants, not objects, because picocli's default values must be compile-time strings. The
 * warm-up must fit in one epoch: {@code --epochs 1} works with the defaults alone.
 */
public final class TrainDefaults {
  /** Every worker sees the whole set's mix of classes (absent: contiguous). */
  public static final String SPLIT = "mixed";
  /** The learning rate grows with the workers, W x --lr (absent: none). */
  public static final String LR_SCALING = "linear";
  /** The cap of that factor (also the absent value). */
  public static final double MAX_LR_SCALE = LearningRate.MAX_SCALE;
  /** Epochs of linear ramp from --lr to the scaled rate (absent: 0). */
  public static final double WARMUP_EPOCHS = 0.25;
  /** Averages per epoch (absent: 1). */
  public static final int ROUNDS_PER_EPOCH = 4;
  /** The outer rule (also the absent value: the plain average). */
  public static final String OUTER = "average";
  /** The learning-rate schedule (also the absent value). */
  public static final String LR_SCHEDULE = "constant";

  private TrainDefaults() {}

  /** {@link #SPLIT} as a split. */
  public static DataSplit split() {
    return DataSplit.find(SPLIT).orElseThrow();
  }

  /** The default schedule, warm-up and scaling (no milestones; gamma and min at their absent values). */
  public static LearningRate learningRate() {
    return LearningRate.of(LR_SCHEDULE, List.of(), LearningRate.GAMMA, 0, WARMUP_EPOCHS, LR_SCALING, MAX_LR_SCALE);
  }

  /** The default outer rule, no setting given over it. */
  public static OuterConfig outer() {
    return new OuterConfig(OUTER, null, null, null);
  }
}
