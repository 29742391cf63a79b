/**
 * The Spark side of cnn-spark: ingestion into cached image blocks, synchronous training rounds
 * with deterministic averaging, scoring, model directories, the Spark ML Estimator/Model and the
 * CLI. Thin: every numeric operation is delegated to {@code org.cnnspark.engine}. Its packages are
 * layers (bottom to top: spark, data, train, score, store, report, kryo, cli and ml; deploy apart);
 * which may import which is a table in docs/architecture.md, checked by {@code LayeringTest}.
 */
package org.cnnspark.driver;
