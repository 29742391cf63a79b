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
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
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
 *
 * <p>Its results are also Params, set by the model itself and refusing any other value:
 * numClasses, classNames and trainingMetrics. Spark Connect's ML server shows a client a model's
 * Params but none of its methods (deploy/README.md, "Spark Connect"). They are left out of the
 * saved metadata, which model.cnn and metrics.jsonl already cover.
 */
public final class CnnClassificationModel extends Model<CnnClassificationModel>
    implements ImageColumnsParams<CnnClassificationModel>, MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final ModelFile model;
  private final List<String> metrics;
  private final int numClasses;
  private final Columns columns;
  private final IntParam numClassesParam;
  private final StringArrayParam classNamesParam;
  private final StringArrayParam trainingMetricsParam;
  /** The weights as shipped to the executors, one broadcast per SparkContext, reused by every transform. */
  private transient Broadcast<float[]> weights;
  private transient SparkContext weightsContext;

  /**
   * @param model architecture, input shape, normalisation, classes, provenance and weights
   * @param metrics the training rounds as JSON lines (may be empty)
   */
  public CnnClassificationModel(String uid, ModelFile model, List<String> metrics) {
    // Java kernels: only the output shape is wanted here, no arithmetic
    this(uid, model, metrics, model.network(new JavaGemm(), "model " + uid).numClasses());
  }

  /**
   * A model without a network, which can neither transform nor be saved: Spark Connect's ML
   * server lists the Models it may load through Java's ServiceLoader, which wants a public
   * no-argument constructor (it never calls it). Get a model from {@link CnnClassifier#fit} or
   * {@link #load}.
   */
  public CnnClassificationModel() {
    this(Identifiable$.MODULE$.randomUID("cnnClassificationModel"), null, List.of(), 0);
  }

  private CnnClassificationModel(String uid, ModelFile model, List<String> metrics, int numClasses) {
    this.uid = uid;
    this.model = model;
    this.metrics = List.copyOf(metrics);
    this.numClasses = numClasses;
    this.columns = ImageColumnsParams.Columns.of(this, "; empty = none");
    String[] names = model == null ? new String[0] : model.classNames().toArray(String[]::new);
    String[] lines = this.metrics.toArray(String[]::new);
    numClassesParam = new IntParam(this, "numClasses", "result: number of classes the network predicts",
        new Validators.Fixed<>(numClasses));
    classNamesParam = new StringArrayParam(this, "classNames", "result: class names in index order (empty when the "
        + "training data named none)", new Validators.Fixed<>(names));
    trainingMetricsParam = new StringArrayParam(this, "trainingMetrics", "result: the training rounds as JSON lines, "
        + "as metrics.jsonl holds them", new Validators.Fixed<>(lines));
    set(numClassesParam, numClasses);
    set(classNamesParam, names);
    set(trainingMetricsParam, lines);
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

  // Result Params (Spark finds them through these public methods); set by the model, read-only
  public IntParam numClassesParam() {
    return numClassesParam;
  }

  public StringArrayParam classNamesParam() {
    return classNamesParam;
  }

  public StringArrayParam trainingMetricsParam() {
    return trainingMetricsParam;
  }

  /**
   * Architecture, input shape, classes, provenance, weights and optimizer state: what model.cnn
   * holds; null for a model of the no-argument constructor.
   */
  public ModelFile modelFile() {
    return model;
  }

  /** The training rounds as JSON lines (metrics.jsonl). */
  public List<String> trainingMetrics() {
    return metrics;
  }

  /** A network holding this model's weights, for use without Spark. */
  public Network network() {
    return trained().network(org.cnnspark.engine.kernels.Kernels.gemm(), "model " + uid);
  }

  private ModelFile trained() {
    if (model == null) {
      throw new IllegalStateException("model " + uid + " holds no network: it was made by the no-argument constructor, "
          + "which exists for Spark Connect's class registry only; get a model from CnnClassifier.fit or "
          + "CnnClassificationModel.load");
    }
    return model;
  }

  /**
   * Bytes of the parameters, optimizer state and metrics, for Spark 4.1+'s Connect ML cache, which
   * asks every model it keeps (Model.estimatedSize; not an override so that Spark 4.0 compiles it):
   * Spark's default walks the object graph, which after a transform reaches the SparkContext.
   */
  public long estimatedSize() {
    long bytes = 1024;
    if (model != null) {
      bytes += 4L * (model.params().length + model.optimizerState().length);
    }
    for (String line : metrics) {
      bytes += 2L * line.length();
    }
    return bytes;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    ModelFile model = trained();
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
    trained();
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
    return copyValues(new CnnClassificationModel(uid, model, metrics, numClasses), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    trained();
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
    if (model == null) {
      return "CnnClassificationModel: uid=" + uid + ", no network";
    }
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
      // the metadata as before the result Params: older builds load the model, which holds its results
      CnnClassificationModel saved = instance.copy(ParamMap.empty());
      saved.clear(saved.numClassesParam).clear(saved.classNamesParam).clear(saved.trainingMetricsParam);
      ParamsMetadata.save(saved, path, sparkSession());
      String data = LocalSaving.dataDir(path);
      try {
        ModelDir.write(data, instance.model, instance.metrics, sc().hadoopConfiguration());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the model to " + data + ": " + e.getMessage(), e);
      }
    }
  }

  private static final class Reader extends MLReader<CnnClassificationModel> {
    @Override
    public CnnClassificationModel load(String path) {
      DefaultParamsReader.Metadata metadata = ParamsMetadata.load(path, sparkSession(),
          CnnClassificationModel.class.getName());
      Configuration conf = sc().hadoopConfiguration();
      String data = LocalSaving.dataDir(path);
      try {
        CnnClassificationModel m = new CnnClassificationModel(metadata.uid(), ModelDir.read(data, conf),
            ModelDir.readMetrics(data, conf));
        metadata.getAndSetParams(m, Option.empty());
        return m;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the model in " + data + ": " + e.getMessage(), e);
      }
    }
  }
}
