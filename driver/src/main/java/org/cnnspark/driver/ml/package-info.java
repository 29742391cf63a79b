/**
 * Spark ML API: {@link org.cnnspark.driver.ml.CnnClassifier} (an Estimator) and
 * {@link org.cnnspark.driver.ml.CnnClassificationModel} (its Model), thin adapters over the
 * training rounds of {@code org.cnnspark.driver.train}, the scoring of {@code score} and the data
 * loading of {@code data}, in the manner of Spark's MultilayerPerceptronClassifier. An entry
 * point: it must not depend on the CLI, the report or {@code deploy}, and nothing depends on it.
 */
package org.cnnspark.driver.ml;
