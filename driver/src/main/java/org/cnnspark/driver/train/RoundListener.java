package org.cnnspark.driver.train;

/** Told after every round, in order: the round's figures and the state the run can continue from. */
@FunctionalInterface
public interface RoundListener {
  void onRound(RoundMetrics metrics, TrainState after);
}
