package org.cnnspark.driver.train;

/**
 * A partition's loss became NaN or infinite. The message names the epoch, round and partition;
 * the parameters of the last good round are not touched. An IllegalArgumentException because the
 * usual cause is a setting (too high a learning rate) or bad data: the CLI reports it without a
 * stack trace and exits 2.
 */
public final class TrainingDivergedException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
