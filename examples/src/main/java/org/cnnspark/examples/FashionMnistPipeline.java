package org.cnnspark.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cnnspark.driver.ml.CnnClassifier;
import org.cnnspark.engine.io.Idx;

/**
 * Fashion-MNIST with Spark ML: a {@code Pipeline} holding a {@code CnnClassifier}, scored with
 * {@code MulticlassClassificationEvaluator}, saved as a PipelineModel and loaded back.
 * Usage: FashionMnistPipeline [DATASET_DIR] [EPOCHS] [MODEL_OUT]
 * (DATASET_DIR holds train-/t10k-images-idx3-ubyte.gz and the labels files).
 */
public final class FashionMnistPipeline {
  private FashionMnistPipeline() {}

  /** Test accuracy of the fitted pipeline, and of the same pipeline after save and load. */
  public record Result(double accuracy, double reloadedAccuracy) {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    String out = args.length > 2 ? args[2] : "fashion-pipeline";
    SparkSession spark = ExampleSpark.session("FashionMnistPipeline");
    try {
      Result r = run(spark, dir, Integer.MAX_VALUE, Integer.MAX_VALUE, "tutorial-cnn", epochs, 64, 0.01, out);
      System.out.printf("test accuracy %.2f%% (after save and load: %.2f%%); pipeline saved in %s%n",
          100 * r.accuracy(), 100 * r.reloadedAccuracy(), out);
    } finally {
      spark.stop();
    }
  }

  /** Fits on the first trainCount training images, scores the first testCount test images. */
  public static Result run(SparkSession spark, Path dir, int trainCount, int testCount, String arch, int epochs,
      int batchSize, double lr, String modelOut) throws IOException {
    // README-SNIPPET-START
    Dataset<Row> train = idx(spark, dir, "train", trainCount);  // columns features (ml Vector), label (double)
    Dataset<Row> test = idx(spark, dir, "t10k", testCount);
    CnnClassifier cnn = new CnnClassifier()
        .setFeaturesCol("features")   // image struct, binary (JPEG/PNG), ml Vector or array of 0..255 in C,H,W order
        .setLabelCol("label")         // class indices 0, 1, 2, ... (StringIndexer makes them)
        .setArchitecture(arch).setEpochs(epochs).setBatchSize(batchSize).setLr(lr).setSeed(42);
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {cnn}).fit(train);
    Dataset<Row> scored = model.transform(test);   // + rawPrediction (logits), probability, prediction
    MulticlassClassificationEvaluator evaluator = new MulticlassClassificationEvaluator().setMetricName("accuracy");
    double accuracy = evaluator.evaluate(scored);
    model.write().overwrite().save(modelOut);      // PipelineModel.load / CnnClassificationModel.load
    PipelineModel loaded = PipelineModel.load(modelOut);
    // README-SNIPPET-END
    return new Result(accuracy, evaluator.evaluate(loaded.transform(test)));
  }

  /**
   * The first n images of {@code {prefix}-images-idx3-ubyte.gz} and their labels as a DataFrame
   * (features: ml Vector of pixel values 0..255 in C, H, W order; label: class index as double).
   * Sparse vectors where that is smaller: Fashion-MNIST images are about half zeros.
   */
  public static Dataset<Row> idx(SparkSession spark, Path dir, String prefix, int n) throws IOException {
    Idx.Images images = Idx.readImages(dir.resolve(prefix + "-images-idx3-ubyte.gz"));
    int[] labels = Idx.readLabels(dir.resolve(prefix + "-labels-idx1-ubyte.gz"));
    int count = Math.min(n, images.count());
    int size = images.rows() * images.cols();
    List<Row> rows = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      double[] v = new double[size];  // a new array per row: compressed() may keep it as the row's dense vector
      for (int j = 0; j < size; j++) {
        v[j] = images.pixels()[i * size + j] & 0xff;
      }
      rows.add(RowFactory.create(Vectors.dense(v).compressed(), (double) labels[i]));
    }
    StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
    return spark.createDataFrame(rows, schema);
  }
}
