package org.cnnspark.driver.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.cnnspark.driver.train.RoundListener;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.driver.train.TrainState;
import org.cnnspark.driver.train.TrainingRun;

/**
 * Writes a run's checkpoints as it goes: every {@code every} rounds (counted from the run's start,
 * a resumed run's earlier rounds included) and after the last round of the last epoch, keeping the
 * newest {@code keep}; none when {@code every} is 0. Listens after the run's metrics are kept, so a checkpoint holds its own round.
 */
public final class CheckpointWriter implements RoundListener {
  private final TrainingRun run;
  private final Checkpoints checkpoints;
  private final Map<String, String> options;
  private final int every;
  private final int keep;
  private long rounds;
  private String lastFile;

  /**
   * @param options the options that decide the run's bits, stored for resume to compare
   * @param every rounds between checkpoints, >= 0 (0 = none)
   * @param resumedFrom the checkpoint the run continues from, or null
   */
  public CheckpointWriter(TrainingRun run, Checkpoints checkpoints, Map<String, String> options, int every, int keep,
      Checkpoints.Checkpoint resumedFrom) {
    this.run = run;
    this.checkpoints = checkpoints;
    this.options = options;
    this.every = every;
    this.keep = keep;
    TrainState at = resumedFrom == null ? null : resumedFrom.state();
    this.rounds = at == null ? 0 : run.config().roundsBefore(at.epoch()) + at.round();
    this.lastFile = resumedFrom == null ? null : resumedFrom.file();
  }

  @Override
  public void onRound(RoundMetrics metrics, TrainState after) {
    // from the state, not counted: rounds in which no partition trained are not reported
    rounds = run.config().roundsBefore(after.epoch()) + after.round();
    if (every == 0 || (rounds % every != 0 && after.epoch() != run.config().epochs())) {
      return;
    }
    try {
      lastFile = checkpoints.save(run.model(after), after, rounds, options, run.metrics().lines(), keep);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write a checkpoint to " + checkpoints.file(rounds) + ": "
          + e.getMessage(), e);
    }
  }

  /** The newest complete checkpoint of this run (or the one it resumed from), or null. */
  public String lastFile() {
    return lastFile;
  }
}
