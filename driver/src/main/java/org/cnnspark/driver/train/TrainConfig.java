package org.cnnspark.driver.train;

/**
 * How the rounds run.
 *
 * @param epochs passes over the data, >= 1
 * @param batchSize minibatch size on each partition, >= 1
 * @param roundsPerEpoch K >= 1: parameters are averaged K times per epoch (1 = per-epoch averaging)
 * @param resetOptimizerState true = every round starts with zero optimizer state (momentum, Adam
 *     moments) and step count; false = the state is averaged like the parameters and carried on
 * @param seed the root of every random choice (initialisation, shuffling, dropout)
 * @param shuffle false = every partition visits its records in file order (--no-shuffle)
 * @param evalEveryRound true = score the test set after every round; false = after each epoch's last round
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

  /** The averaging mode in words, for provenance and logs. */
  public String averagingMode() {
    String every = roundsPerEpoch == 1 ? "per-epoch averaging" : "averaging " + roundsPerEpoch + " times per epoch";
    return every + (resetOptimizerState ? ", optimizer state reset every round" : ", optimizer state averaged");
  }
}
