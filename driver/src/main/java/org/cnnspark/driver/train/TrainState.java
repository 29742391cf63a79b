package org.cnnspark.driver.train;

/**
 * Where a run stands between rounds: enough to continue it exactly, since every random choice
 * derives from (seed, epoch, partition, step). {@code epoch} and {@code round} (0-based) name the
 * next round to run; epoch == epochs means training is done.
 *
 * @param params the averaged flat parameters (trainable prefix, then buffers such as BN running stats)
 * @param state the averaged optimizer state
 * @param steps the optimizer's step count (Adam's bias correction uses it)
 * @param outer the driver's outer momentum buffer over the trainable prefix ({@link OuterSgd}); empty
 *     when the outer rule has no momentum or before its first round
 */
public record TrainState(int epoch, int round, float[] params, float[] state, long steps, float[] outer) {

  /** A state without outer momentum. */
  public TrainState(int epoch, int round, float[] params, float[] state, long steps) {
    this(epoch, round, params, state, steps, new float[0]);
  }

  /** The start of a run from initial parameters and a fresh optimizer. */
  public static TrainState start(float[] params, int stateSize) {
    return new TrainState(0, 0, params, new float[stateSize], 0);
  }
}
