/**
 * The training report: {@code MODEL_DIR/report.html}, one self-contained page (charts as embedded
 * PNGs drawn by JFreeChart, inline CSS, no scripts, no external resources) built from a model
 * directory's {@code metrics.jsonl} and {@code model.cnn}. Needs no Spark and no display
 * (AWT runs headless): it reads the model directory through {@code store}, the metrics lines through
 * {@code train}'s {@code RoundMetrics}, and must not depend on Spark, {@code data}, scoring or the
 * entry points.
 */
package org.cnnspark.driver.report;
