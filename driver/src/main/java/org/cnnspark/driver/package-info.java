/**
 * The Spark side of cnn-spark: ingestion into cached image blocks, synchronous training rounds
 * with deterministic averaging, the Spark ML Estimator/Model, and the CLI. Thin: every numeric
 * operation is delegated to {@code org.cnnspark.engine}.
 */
package org.cnnspark.driver;
