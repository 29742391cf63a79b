/**
 * What training leaves on disk: a model directory ({@link org.cnnspark.driver.store.ModelDir}:
 * model.cnn and metrics.jsonl) and its checkpoints ({@link org.cnnspark.driver.store.Checkpoints},
 * written during a run by {@link org.cnnspark.driver.store.CheckpointWriter}), on any Hadoop
 * file system. Above {@code train} (it stores train's state); must not depend on scoring, the
 * report, the Kryo settings or the entry points.
 */
package org.cnnspark.driver.store;
