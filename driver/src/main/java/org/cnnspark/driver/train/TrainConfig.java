package org.cnnspark.driver.train;

import java.io.Serializable;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * What a distributed training run needs besides the data: architecture, optimizer, schedule of
 * rounds and the seed every random choice derives from.
 *
 * @param roundsPerEpoch K: parameters are averaged K times per epoch (1 = once per epoch)
 * @param resetOptimizerState start each round with empty momentum / Adam moments instead of the averaged ones
 * @param shuffle minibatch order from (seed, epoch, partition); false = file order
 * @param threadsPerTask engine threads in each Spark task (spark.task.cpus)
 */
public record TrainConfig(String architecture, Shape inputShape, int epochs, int batchSize, OptimizerConfig optimizer,
                          int roundsPerEpoch, boolean resetOptimizerState, long seed, boolean shuffle,
                          int threadsPerTask) implements Serializable {
  public TrainConfig {
    check(epochs >= 1, "--epochs must be >= 1, got " + epochs);
    check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
    check(roundsPerEpoch >= 1, "--rounds-per-epoch must be >= 1, got " + roundsPerEpoch);
    check(threadsPerTask >= 1, "threads per task must be >= 1, got " + threadsPerTask);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
