/**
 * Spark ML API: {@link org.cnnspark.driver.ml.CnnClassifier} (an Estimator) and
 * {@link org.cnnspark.driver.ml.CnnClassificationModel} (its Model), thin adapters over the
 * training rounds of {@code org.cnnspark.driver.train} and the data loading of
 * {@code org.cnnspark.driver.data}, in the manner of Spark's MultilayerPerceptronClassifier.
 */
package org.cnnspark.driver.ml;
