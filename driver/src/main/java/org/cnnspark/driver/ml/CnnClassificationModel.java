package org.cnnspark.driver.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cnnspark.driver.data.RowImages;
import org.cnnspark.driver.score.ScoreRows;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.kernels.JavaGemm;
import scala.Option;

/**
 * A trained CNN as a Spark ML Model: {@code transform} keeps every column and adds
 * rawPrediction (logits), probability (softmax) and prediction (class index as a double); an
 * empty column name leaves that column out. Saved by {@code write().save(path)} as Spark's
 * metadata plus {@code path/data/model.cnn} (the engine's model file) and
 * {@code path/data/metrics.jsonl}; read back by {@link #load}, also inside a PipelineModel.
 */
public final class CnnClassificationModel extends Model<CnnClassificationModel>
    implements ImageColumnsParams<CnnClassificationModel>, MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final ModelFile model;
  private final List<String> metrics;
  private final int numClasses;
  private final Columns columns;
  /** The weights as shipped to the executors, one broadcast per SparkContext, reused by every transform. */
  private transient Broadcast<float[]> weights;
  private transient SparkContext weightsContext;

  /**
   * @param model architecture, input shape, normalisation, classes, provenance and weights
   * @param metrics the training rounds as JSON lines (may be empty)
   */
  public CnnClassificationModel(String uid, ModelFile model, List<String> metrics) {
    this.uid = uid;
    this.model = model;
    this.metrics = List.copyOf(metrics);
    // Java kernels: only the output shape is wanted here, no arithmetic
    this.numClasses = model.network(new JavaGemm(), "model " + uid).numClasses();
    this.columns = ImageColumnsParams.Columns.of(this, "; empty = none");
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Columns columns() {
    return columns;
  }

  public int numClasses() {
    return numClasses;
  }

  /** Architecture, input shape, classes, provenance, weights and optimizer state: what model.cnn holds. */
  public ModelFile modelFile() {
    return model;
  }

  /** The training rounds as JSON lines (metrics.jsonl). */
  public List<String> trainingMetrics() {
    return metrics;
  }

  /** A network holding this model's weights, for use without Spark. */
  public Network network() {
    return model.network(org.cnnspark.engine.kernels.Kernels.gemm(), "model " + uid);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema());
    RowImages images = RowImages.of(dataset.schema(), getFeaturesCol(), model.inputShape(), false);
    SparkContext sc = dataset.sparkSession().sparkContext();
    EngineSpec engine = new EngineSpec(model.spec(), model.inputShape(), model.optimizer(), model.normalization(),
        sc.getConf().getInt("spark.task.cpus", 1));
    ScoreRows score = new ScoreRows(engine, weights(sc), images, !getRawPredictionCol().isEmpty(),
        !getProbabilityCol().isEmpty(), !getPredictionCol().isEmpty(), DistributedTrainer.EVAL_BATCH);
    return dataset.toDF().mapPartitions(score, Encoders.row(out));
  }

  private synchronized Broadcast<float[]> weights(SparkContext sc) {
    if (weights == null || weightsContext != sc || sc.isStopped()) {
      weights = JavaSparkContext.fromSparkContext(sc).broadcast(model.params());
      weightsContext = sc;
    }
    return weights;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    requireFeatures(schema, getFeaturesCol());
    return outputSchema(schema, getPredictionCol(), getProbabilityCol(), getRawPredictionCol());
  }

  static void requireFeatures(StructType schema, String column) {
    if (!List.of(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException("the DataFrame has no features column '" + column + "' (its columns: "
          + String.join(", ", schema.fieldNames()) + "): setFeaturesCol to the image column");
    }
  }

  /** The input schema plus the output columns with non-empty names, in the order transform appends them. */
  static StructType outputSchema(StructType schema, String prediction, String probability, String raw) {
    StructType out = schema;
    for (String[] col : new String[][] {{raw, "vector"}, {probability, "vector"}, {prediction, "double"}}) {
      if (col[0].isEmpty()) {
        continue;
      }
      if (List.of(out.fieldNames()).contains(col[0])) {
        throw new IllegalArgumentException("output column '" + col[0] + "' already exists: choose another name or drop it");
      }
      out = out.add(col[0], col[1].equals("vector") ? SQLDataTypes.VectorType() : DataTypes.DoubleType, false);
    }
    return out;
  }

  @Override
  public CnnClassificationModel copy(ParamMap extra) {
    return copyValues(new CnnClassificationModel(uid, model, metrics), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<CnnClassificationModel> read() {
    return new Reader();
  }

  public static CnnClassificationModel load(String path) {
    return read().load(path);
  }

  @Override
  public String toString() {
    return "CnnClassificationModel: uid=" + uid + ", architecture=" + model.spec() + ", inputShape=" + model.inputShape()
        + ", numClasses=" + numClasses;
  }

  /** Spark's metadata (uid, params) plus path/data/ with the model file and the metrics. */
  private static final class Writer extends MLWriter {
    private final CnnClassificationModel instance;

    Writer(CnnClassificationModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      ParamsMetadata.save(instance, path, sparkSession());
      try {
        ModelDir.write(path + "/data", instance.model, instance.metrics, sc().hadoopConfiguration());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the model to " + path + "/data: " + e.getMessage(), e);
      }
    }
  }

  private static final class Reader extends MLReader<CnnClassificationModel> {
    @Override
    public CnnClassificationModel load(String path) {
      DefaultParamsReader.Metadata metadata = ParamsMetadata.load(path, sparkSession(),
          CnnClassificationModel.class.getName());
      Configuration conf = sc().hadoopConfiguration();
      try {
        String data = path + "/data";
        CnnClassificationModel m = new CnnClassificationModel(metadata.uid(), ModelDir.read(data, conf),
            ModelDir.readMetrics(data, conf));
        metadata.getAndSetParams(m, Option.empty());
        return m;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the model in " + path + "/data: " + e.getMessage(), e);
      }
    }
  }
}
