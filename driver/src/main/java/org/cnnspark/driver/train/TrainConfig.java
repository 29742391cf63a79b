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
 */
public record TrainConfig(int epochs, int batchSize, int roundsPerEpoch, boolean resetOptimizerState, long seed,
    boolean shuffle, boolean evalEveryRound) implements java.io.Serializable {

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
  }

  /** The {@code train} command's defaults: 5 epochs of batch 64, one round per epoch, seed 1, shuffled. */
  public static TrainConfig defaults() {
    return new TrainConfig(5, 64, 1, false, 1, true, false);
  }

  public TrainConfig epochs(int value) {
    return new TrainConfig(value, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound);
  }

  public TrainConfig batchSize(int value) {
    return new TrainConfig(epochs, value, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound);
  }

  public TrainConfig roundsPerEpoch(int value) {
    return new TrainConfig(epochs, batchSize, value, resetOptimizerState, seed, shuffle, evalEveryRound);
  }

  public TrainConfig resetOptimizerState(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, value, seed, shuffle, evalEveryRound);
  }

  public TrainConfig seed(long value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, value, shuffle, evalEveryRound);
  }

  public TrainConfig shuffle(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, value, evalEveryRound);
  }

  public TrainConfig evalEveryRound(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, value);
  }

  /** The averaging mode in words, for provenance and logs. */
  public String averagingMode() {
    String every = roundsPerEpoch == 1 ? "per-epoch averaging" : "averaging " + roundsPerEpoch + " times per epoch";
    return every + (resetOptimizerState ? ", optimizer state reset every round" : ", optimizer state averaged");
  }
}
