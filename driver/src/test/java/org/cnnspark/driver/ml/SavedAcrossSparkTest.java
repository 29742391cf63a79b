package org.cnnspark.driver.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pipeline models saved by the build of one Spark line load in every other and predict the same:
 * compat/saved-by-spark-X holds a PipelineModel written by the Spark X build and the raw
 * predictions it gave then, as float bits, for the first 64 test images. Those bits came from the
 * kernels of that build and machine (OpenBLAS's Haswell kernels); another GEMM (oneDNN, which picks
 * kernels by CPU) rounds differently, so they are compared to 1e-5, and the two lines' models, the
 * same weights, to the bit in this JVM. Tagged compat, so every Spark line of CI loads the files of
 * every other. {@code main(DIR)} writes such a directory with
 * the running Spark (run by hand on each line: docs/testing.md).
 */
@Tag("compat")
class SavedAcrossSparkTest {
  static SparkSession spark;
  static Dataset<Row> test;

  @BeforeAll
  static void start() throws IOException {
    LocalSpark.Subset te = LocalSpark.fashion("t10k", 0, 64);
    spark = LocalSpark.start(2, "cnn-spark saved across Spark lines");
    test = CnnClassifierTest.frame(spark, te, 2);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @ParameterizedTest(name = "saved by Spark {0}")
  @ValueSource(strings = {"3.5", "4.0"})
  void aModelSavedByAnotherSparkLinePredictsTheSameBits(String line) throws IOException, URISyntaxException {
    Path dir = Path.of(SavedAcrossSparkTest.class.getResource("/compat/saved-by-spark-" + line).toURI());
    PipelineModel model = PipelineModel.load(dir.resolve("pipeline").toString());
    List<String> expected = Files.readAllLines(dir.resolve("predictions.txt"));
    List<String> got = predictions(model);
    assertEquals(expected.size(), got.size(), "images scored");
    for (int i = 0; i < got.size(); i++) {
      String[] want = expected.get(i).split(" ");
      String[] have = got.get(i).split(" ");
      assertEquals(want.length, have.length, "image " + i);
      assertEquals(want[0], have[0], "image " + i + " id");
      for (int k = 1; k < want.length; k++) {
        float w = Float.intBitsToFloat(Integer.parseUnsignedInt(want[k], 16));
        float h = Float.intBitsToFloat(Integer.parseUnsignedInt(have[k], 16));
        assertEquals(w, h, 1e-5 * Math.max(1, Math.abs(w)), "image " + i + ", class " + (k - 1)
            + ": raw prediction of the model saved by Spark " + line + ", loaded in Spark " + spark.version()
            + "\nsaved: " + expected.get(i) + "\nnow:   " + got.get(i));
      }
    }
    assertTrue(Files.readString(dir.resolve("spark-version.txt")).startsWith(line), "the files' Spark line");
  }

  /** The two lines' files hold the same weights: loaded here, they predict the same bits. */
  @org.junit.jupiter.api.Test
  void theLinesModelsPredictTheSameBitsHere() throws URISyntaxException {
    List<List<String>> got = new ArrayList<>();
    for (String line : new String[] {"3.5", "4.0"}) {
      Path dir = Path.of(SavedAcrossSparkTest.class.getResource("/compat/saved-by-spark-" + line).toURI());
      got.add(predictions(PipelineModel.load(dir.resolve("pipeline").toString())));
    }
    assertEquals(got.get(0), got.get(1), "raw prediction bits of the models saved by Spark 3.5 and 4.0, in Spark "
        + spark.version());
  }

  /** One line per image: id, then the raw prediction's floats as hex bits. */
  static List<String> predictions(PipelineModel model) {
    List<String> out = new ArrayList<>();
    for (Row r : model.transform(test).orderBy("id").select("id", "rawPrediction").collectAsList()) {
      StringBuilder sb = new StringBuilder().append(r.getLong(0));
      Vector v = r.getAs(1);
      for (double x : v.toArray()) {
        sb.append(' ').append(Integer.toHexString(Float.floatToRawIntBits((float) x)));
      }
      out.add(sb.toString());
    }
    return out;
  }

  /** Fits a small model with the running Spark and writes DIR/pipeline, DIR/predictions.txt, DIR/spark-version.txt. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    start();
    try {
      LocalSpark.Subset tr = LocalSpark.fashion("train", 0, 600);
      Dataset<Row> train = CnnClassifierTest.frame(spark, tr, 2);
      CnnClassifier c = CnnClassifierTest.classifier().setEpochs(1);
      PipelineModel model = new Pipeline().setStages(new PipelineStage[] {c}).fit(train);
      model.write().overwrite().save(dir.resolve("pipeline").toString());
      Files.write(dir.resolve("predictions.txt"), predictions(model));
      Files.writeString(dir.resolve("spark-version.txt"), spark.version() + "\n");
    } finally {
      stop();
    }
  }
}
