package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.List;

/**
 * How the rounds run. Built by name from the defaults (those of the {@code train} command) or from
 * the absent values (the behaviour before the issue-11 options), each setter returning a new config:
 * {@code TrainConfig.defaults().epochs(2).batchSize(32).roundsPerEpoch(3).seed(11)}.
 *
 * @param epochs passes over the data, >= 1 (default 5)
 * @param batchSize minibatch size on each partition, >= 1 (default 64)
 * @param roundsPerEpoch K >= 1: parameters are averaged K times per epoch (default {@link
 *     TrainDefaults#ROUNDS_PER_EPOCH}; absent: 1, per-epoch averaging); with a schedule, the rounds of
 *     every epoch after it lists
 * @param resetOptimizerState true = every round starts with zero optimizer state (momentum, Adam
 *     moments) and step count; false (default) = the state is averaged like the parameters and carried on
 * @param seed the root of every random choice (initialisation, shuffling, dropout); default 1
 * @param shuffle false = every partition visits its records in file order (--no-shuffle); default true
 * @param evalEveryRound true = score the test set after every round; false (default) = after each epoch's last round
 * @param learningRate the rate of every step: schedule, warm-up, scaling with the workers (default
 *     {@link TrainDefaults#learningRate()}; absent: {@link LearningRate#constant()}, the optimizer's rate throughout)
 * @param outer the outer update applied to each round's average (default {@link TrainDefaults#outer()};
 *     absent: {@link OuterConfig#ABSENT}, the plain average)
 * @param roundsSchedule rounds of epoch 1, 2, ... (at least two entries, no more than the epochs), the
 *     last repeated for every later epoch; empty (the default) = {@code roundsPerEpoch} every epoch
 * @param shuffleBuffer 0 (the default, and absent) = each partition holds its worker's data and
 *     shuffles all of it every epoch; N > 0 = the data is kept in chunks and streamed, shuffled
 *     within windows of about N records ({@link StreamOrder}): for partitions larger than a task's memory
 */
public record TrainConfig(int epochs, int batchSize, int roundsPerEpoch, boolean resetOptimizerState, long seed,
    boolean shuffle, boolean evalEveryRound, LearningRate learningRate, OuterConfig outer, List<Integer> roundsSchedule,
    int shuffleBuffer) implements java.io.Serializable {

  /** Without a shuffle buffer (the fields before it). */
  public TrainConfig(int epochs, int batchSize, int roundsPerEpoch, boolean resetOptimizerState, long seed,
      boolean shuffle, boolean evalEveryRound, LearningRate learningRate, OuterConfig outer, List<Integer> roundsSchedule) {
    this(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound, learningRate, outer,
        roundsSchedule, 0);
  }

  public TrainConfig {
    if (shuffleBuffer < 0) {
      throw new IllegalArgumentException("the shuffle buffer must be >= 0 records (0 = none), got " + shuffleBuffer
          + " (--shuffle-buffer)");
    }
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
    outer = outer == null ? OuterConfig.ABSENT : outer;
    roundsSchedule = roundsSchedule == null ? List.of() : List.copyOf(roundsSchedule);
    for (int k : roundsSchedule) {
      if (k < 1) {
        throw new IllegalArgumentException("every entry of a round schedule must be >= 1, got " + roundsText(roundsSchedule)
            + " (--rounds-per-epoch, the Estimator's roundsSchedule)");
      }
    }
    if (roundsSchedule.size() > epochs) {
      throw new IllegalArgumentException("the round schedule " + roundsText(roundsSchedule) + " lists "
          + roundsSchedule.size() + " epochs but the run has " + epochs + ": give at most " + epochs
          + " entries to --rounds-per-epoch (or the Estimator's roundsSchedule), or more --epochs");
    }
  }

  /**
   * The {@code train} command's defaults: 5 epochs of batch 64, seed 1, shuffled, and the rounds,
   * learning rate and outer rule of {@link TrainDefaults}.
   */
  public static TrainConfig defaults() {
    return new TrainConfig(5, 64, TrainDefaults.ROUNDS_PER_EPOCH, false, 1, true, false, TrainDefaults.learningRate(),
        TrainDefaults.outer(), List.of(), 0);
  }

  /**
   * As {@link #defaults()} but with every issue-11 setting at its absent value: one round per epoch,
   * the optimizer's rate throughout, the plain average. The behaviour of builds before those options.
   */
  public static TrainConfig absent() {
    return new TrainConfig(5, 64, 1, false, 1, true, false, LearningRate.constant(), OuterConfig.ABSENT, List.of(), 0);
  }

  public TrainConfig epochs(int value) {
    return new TrainConfig(value, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound,
        learningRate, outer, roundsSchedule, shuffleBuffer);
  }

  public TrainConfig batchSize(int value) {
    return new TrainConfig(epochs, value, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound,
        learningRate, outer, roundsSchedule, shuffleBuffer);
  }

  /** K rounds in every epoch (and no schedule). */
  public TrainConfig roundsPerEpoch(int value) {
    return new TrainConfig(epochs, batchSize, value, resetOptimizerState, seed, shuffle, evalEveryRound,
        learningRate, outer, List.of(), shuffleBuffer);
  }

  /**
   * Rounds per epoch as a list: {@code [8, 2, 1]} = 8 rounds in epoch 1, 2 in epoch 2, then 1 in
   * every later epoch. One entry is {@link #roundsPerEpoch(int)}; call it after {@link #epochs}.
   */
  public TrainConfig roundsSchedule(List<Integer> value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("a round schedule needs at least one entry (--rounds-per-epoch)");
    }
    int last = value.get(value.size() - 1);
    return new TrainConfig(epochs, batchSize, last, resetOptimizerState, seed, shuffle, evalEveryRound, learningRate,
        outer, value.size() == 1 ? List.of() : value, shuffleBuffer);
  }

  public TrainConfig resetOptimizerState(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, value, seed, shuffle, evalEveryRound, learningRate,
        outer, roundsSchedule, shuffleBuffer);
  }

  public TrainConfig seed(long value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, value, shuffle, evalEveryRound,
        learningRate, outer, roundsSchedule, shuffleBuffer);
  }

  public TrainConfig shuffle(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, value, evalEveryRound,
        learningRate, outer, roundsSchedule, shuffleBuffer);
  }

  public TrainConfig evalEveryRound(boolean value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, value,
        learningRate, outer, roundsSchedule, shuffleBuffer);
  }

  public TrainConfig learningRate(LearningRate value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound,
        value, outer, roundsSchedule, shuffleBuffer);
  }

  /** Streams each worker's chunks through a shuffle buffer of {@code value} records (0 = none). */
  public TrainConfig shuffleBuffer(int value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound,
        learningRate, outer, roundsSchedule, value);
  }

  public TrainConfig outer(OuterConfig value) {
    return new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, shuffle, evalEveryRound,
        learningRate, value, roundsSchedule, shuffleBuffer);
  }

  /**
   * The learning rate of a step at t epochs (fractional, before the step) on {@code workers}
   * partitions, for the optimizer's rate {@code base}: see {@link LearningRate}.
   */
  public double lr(double base, double t, int workers) {
    return learningRate.at(base, t, workers, epochs);
  }

  /** Rounds in epoch {@code epoch} (0-based): the schedule's entry, its last one past its end, or roundsPerEpoch. */
  public int roundsInEpoch(int epoch) {
    return roundsSchedule.isEmpty() ? roundsPerEpoch : roundsSchedule.get(Math.min(epoch, roundsSchedule.size() - 1));
  }

  /** Rounds of the epochs before {@code epoch} (0-based). */
  public long roundsBefore(int epoch) {
    long n = 0;
    for (int e = 0; e < epoch; e++) {
      n += roundsInEpoch(e);
    }
    return n;
  }

  /** The rounds as --rounds-per-epoch takes them: "3", or "8,2,1" for a schedule. */
  public String roundsText() {
    return roundsSchedule.isEmpty() ? Integer.toString(roundsPerEpoch) : roundsText(roundsSchedule);
  }

  private static String roundsText(List<Integer> schedule) {
    return String.join(",", schedule.stream().map(String::valueOf).toList());
  }

  /**
   * Parses rounds per epoch, "3" or a schedule "8,2,1"; {@code option} names the option or Param in
   * errors. Entries must be whole numbers >= 1.
   */
  public static List<Integer> parseRounds(String text, String option) {
    List<Integer> out = new ArrayList<>();
    String[] parts = text.split(",", -1);
    for (String part : parts) {
      String p = part.trim();
      int k;
      try {
        k = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        k = 0;
      }
      if (k < 1) {
        throw new IllegalArgumentException(option + " takes rounds per epoch as one whole number >= 1 or a list such as "
            + "8,2,1 (8 rounds in epoch 1, 2 in epoch 2, then 1 in every later epoch); got '" + text + "'"
            + (p.isEmpty() ? ", which has an empty entry" : ", in which '" + p + "' is not a whole number >= 1"));
      }
      out.add(k);
    }
    return out;
  }

  /** The averaging mode in words, for provenance and logs. */
  public String averagingMode() {
    String every = !roundsSchedule.isEmpty()
        ? "averaging " + roundsText(roundsSchedule.subList(0, roundsSchedule.size() - 1)).replace(",", ", ") + ", then "
            + roundsPerEpoch + " times per epoch"
        : roundsPerEpoch == 1 ? "per-epoch averaging" : "averaging " + roundsPerEpoch + " times per epoch";
    return every + (outer.isAbsent() ? "" : ", outer " + outer.describe())
        + (resetOptimizerState ? ", optimizer state reset every round" : ", optimizer state averaged");
  }
}
