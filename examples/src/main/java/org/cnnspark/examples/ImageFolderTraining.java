package org.cnnspark.examples;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;

import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.ml.CnnClassifier;

/**
 * Image-folder training with Spark's image data source: FOLDER has one sub-folder per class
 * (JPEG/PNG files; the folder name is the class). The class names become indices with a
 * StringIndexer, a CnnClassifier learns them, IndexToString names the predictions; 80% of the
 * images train, 20% test. Usage: ImageFolderTraining FOLDER [EPOCHS] [ARCH]
 * (the CLI does the same with: cnn-spark train --data FOLDER --format images ...).
 */
public final class ImageFolderTraining {
  private ImageFolderTraining() {}

  /** Test accuracy, the class names in index order, and a few (true class, predicted class) pairs. */
  public record Result(double accuracy, List<String> classes, long trainCount, long testCount, List<Row> sample) {}

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: ImageFolderTraining FOLDER [EPOCHS] [ARCH]   (FOLDER/<class>/*.png|jpg)");
      System.exit(2);
    }
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String arch = args.length > 2 ? args[2] : "tutorial-cnn";
    SparkSession spark = ExampleSpark.session("ImageFolderTraining");
    try {
      Result r = run(spark, args[0], arch, epochs, 32, 0.01, 42);
      System.out.printf("classes %s; %d training and %d test images; test accuracy %.2f%%%n", r.classes(),
          r.trainCount(), r.testCount(), 100 * r.accuracy());
      r.sample().forEach(row -> System.out.println("  " + row.getString(0) + " -> " + row.getString(1)));
    } finally {
      spark.stop();
    }
  }

  public static Result run(SparkSession spark, String folder, String arch, int epochs, int batchSize, double lr,
      long seed) {
    // Spark's image source decodes every file into an image struct; the class is the parent folder's name.
    Dataset<Row> images = spark.read().format("image").option("recursiveFileLookup", "true").load(folder)
        .withColumn("class", regexp_extract(col("image.origin"), "([^/]+)/[^/]+$", 1))
        .cache();  // decoded once: the split, the indexer, training and scoring all read it
    Dataset<Row>[] split = images.randomSplit(new double[] {0.8, 0.2}, seed);
    Dataset<Row> train = split[0];
    Dataset<Row> test = split[1];

    StringIndexer indexer = new StringIndexer().setInputCol("class").setOutputCol("label")
        .setStringOrderType("alphabetAsc");  // class i = the i-th folder name, as the CLI numbers them
    CnnClassifier cnn = new CnnClassifier().setFeaturesCol("image").setLabelCol("label")
        .setArchitecture(arch).setEpochs(epochs).setBatchSize(batchSize).setLr(lr).setSeed(seed);
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {indexer, cnn}).fit(train);

    String[] classes = ((StringIndexerModel) model.stages()[0]).labelsArray()[0];
    Dataset<Row> scored = new IndexToString().setInputCol("prediction").setOutputCol("predicted_class")
        .setLabels(classes).transform(model.transform(test));
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(scored);
    List<Row> sample = scored.select("class", "predicted_class").limit(5).collectAsList();
    Result r = new Result(accuracy, List.of(classes), train.count(), test.count(), sample);
    images.unpersist();
    return r;
  }
}
