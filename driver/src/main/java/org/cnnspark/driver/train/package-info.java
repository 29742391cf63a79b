/**
 * Synchronous data-parallel training on Spark: each round broadcasts the flat parameters and
 * optimizer state, every partition runs the engine over its share of the round, and the driver
 * averages the per-partition results in partition order (so the bits do not depend on which task
 * finishes first). Every random choice derives from (seed, epoch, partition, step), never from a
 * task attempt, a thread or the clock. One run, as the CLI and the Estimator make it (network, class
 * check, rounds, provenance, model file): {@link org.cnnspark.driver.train.TrainingRun}; the rounds:
 * {@link org.cnnspark.driver.train.DistributedTrainer}; the learning rate of every step:
 * {@link org.cnnspark.driver.train.LearningRate};
 * {@link org.cnnspark.driver.train.RoundMetrics} owns the metrics.jsonl schema. Uses {@code data}
 * and {@code spark} only: it must not depend on scoring, storage, the Kryo settings, DataFrames or
 * the CLI.
 */
package org.cnnspark.driver.train;
