package org.cnnspark.driver.train;

/**
 * How the rounds run. Built by name from the defaults (those of the {@code train} command), each
 * setter returning a new config:
 * {@code TrainConfig.defaults().epochs(2).batchSize(32).roundsPerEpoch(3).seed(11)}.
 *
 * @param epochs passes over the data, >= 1 (default 5)
 * @param batchSize minibatch size on each partition, >= 1 (default 64)
 * @param roundsPerEpoch K >= 1: parameters are averaged K times per epoch (1 = per-epoch averaging, the default)
 * @param resetOptimizerState true = every round starts with zero optimizer state (momentum, Adam
 *     moments) and step count; false (default) = the state is averaged like the parameters and carried on
 * @param seed the root of every random choice (initialisation, shuffling, dropout); default 1
 * @param shuffle false = every partition visits its records in file order (--no-shuffle); default true
 * @param evalEveryRound true = score the test set after every round; false (default) = after each epoch's last round
 * @param learningRate the rate of every step: schedule, warm-up, scaling with the workers (default
 *     {@link LearningRate#constant()}: the optimizer's rate throughout)
 */
public record TrainConfig(int epochs, int batchSize, int roundsPerEpoch, boolean resetOptimizerState, long seed,
    boolean shuffle, boolean evalEveryRound, LearningRate learningRate) implements java.io.Serializable {

  public TrainConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs + " (--epochs)");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize + " (--batch-size)");
    }
    if (roundsPerEpoch < 1) {
      throw new IllegalArgumentException("rounds per epoch must be >= 1, got " + roundsPerEpoch
          + " (--rounds-per-epoch)");
    }
    learningRate.checkEpochs(epochs);
  }

  /** The {@code train} command's defaults: 5 epochs of batch 64, one round per epoch, seed 1, shuffled. */
  public static TrainConfig defaults() {
    return new TrainConfig(5, 64, 1, false, 1, true, false, LearningRate.constant());
  }

  public TrainConfig epochs(int value) {
    return new TrainConfig(value, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound, learningRate);
  }

  public TrainConfig batchSize(int value) {
    return new TrainConfig(epochs, value, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound, learningRate);
  }

  public TrainConfig roundsPerEpoch(int value) {
    return new TrainConfig(epochs, batchSize, value, resetOptimizerState, seed, shuffle, evalEveryRound, learningRate);
  }

  public TrainConfig resetOptimizerState(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, value, seed, shuffle, evalEveryRound, learningRate);
  }

  public TrainConfig seed(long value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, value, shuffle, evalEveryRound, learningRate);
  }

  public TrainConfig shuffle(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, value, evalEveryRound, learningRate);
  }

  public TrainConfig evalEveryRound(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, value, learningRate);
  }

  public TrainConfig learningRate(LearningRate value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound, value);
  }

  /**
   * The learning rate of a step at t epochs (fractional, before the step) on {@code workers}
   * partitions, for the optimizer's rate {@code base}: see {@link LearningRate}.
   */
  public double lr(double base, double t, int workers) {
    return learningRate.at(base, t, workers, epochs);
  }

  /** The averaging mode in words, for provenance and logs. */
  public String averagingMode() {
    String every = roundsPerEpoch == 1 ? "per-epoch averaging" : "averaging " + roundsPerEpoch + " times per epoch";
    return every + (resetOptimizerState ? ", optimizer state reset every round" : ", optimizer state averaged");
  }
}
