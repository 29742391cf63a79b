/**
 * The training report: {@code MODEL_DIR/report.html}, one self-contained page (charts as embedded
 * PNGs drawn by JFreeChart, inline CSS, no scripts, no external resources) built from a model
 * directory's {@code metrics.jsonl} and {@code model.cnn}. Needs no Spark and no display
 * (AWT runs headless); depends on the engine's model file only to read settings and provenance.
 */
package org.cnnspark.driver.report;
