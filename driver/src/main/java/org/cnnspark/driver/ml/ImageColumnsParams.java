package org.cnnspark.driver.ml;

import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;

/**
 * The columns both {@link CnnClassifier} and {@link CnnClassificationModel} read and write: the
 * image column in, and the prediction, probability and raw prediction (logits) columns out; an
 * empty output name leaves that column out. Java cannot give an Estimator and a Model one base
 * class, so, as Spark's Scala traits (HasFeaturesCol, ...) do, this interface supplies the
 * accessors and each class holds one {@link Columns}, made by {@link Columns#of}.
 *
 * @param <T> the implementing class, which the setters return
 */
public interface ImageColumnsParams<T extends ImageColumnsParams<T>> extends Params {
  /** The owner's four column Params. */
  Columns columns();

  /** The four Params of one owner, made with their docs and defaults. */
  public record Columns(Param<String> features, Param<String> prediction, Param<String> probability,
      Param<String> rawPrediction) implements java.io.Serializable {
    /**
     * Makes the Params for {@code owner} and sets their defaults.
     *
     * @param emptyNote what the output columns' docs add about an empty name
     */
    static Columns of(Params owner, String emptyNote) {
      Columns c = new Columns(
          new Param<>(owner, "featuresCol", "image column: image struct, binary (encoded), ml Vector or array of 0..255"),
          new Param<>(owner, "predictionCol", "column for the predicted class index (double)" + emptyNote),
          new Param<>(owner, "probabilityCol", "column for the class probabilities (ml Vector)" + emptyNote),
          new Param<>(owner, "rawPredictionCol", "column for the logits (ml Vector)" + emptyNote));
      List<ParamPair<?>> defaults = List.of(c.features.w("features"), c.prediction.w("prediction"),
          c.probability.w("probability"), c.rawPrediction.w("rawPrediction"));
      ParamDefaults.set(owner, defaults);
      return c;
    }
  }

  // Params (Spark finds them through these public methods)
  default Param<String> featuresCol() {
    return columns().features();
  }

  default Param<String> predictionCol() {
    return columns().prediction();
  }

  default Param<String> probabilityCol() {
    return columns().probability();
  }

  default Param<String> rawPredictionCol() {
    return columns().rawPrediction();
  }

  default String getFeaturesCol() {
    return getOrDefault(featuresCol());
  }

  default String getPredictionCol() {
    return getOrDefault(predictionCol());
  }

  default String getProbabilityCol() {
    return getOrDefault(probabilityCol());
  }

  default String getRawPredictionCol() {
    return getOrDefault(rawPredictionCol());
  }

  default T setFeaturesCol(String value) {
    return self(set(featuresCol(), value));
  }

  default T setPredictionCol(String value) {
    return self(set(predictionCol(), value));
  }

  default T setProbabilityCol(String value) {
    return self(set(probabilityCol(), value));
  }

  default T setRawPredictionCol(String value) {
    return self(set(rawPredictionCol(), value));
  }

  /** {@code set} returns the owner as Params; the setters return it as T, which it is. */
  @SuppressWarnings("unchecked")
  private T self(Params owner) {
    return (T) owner;
  }
}
