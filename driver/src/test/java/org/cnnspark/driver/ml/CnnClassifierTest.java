package org.cnnspark.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.cnnspark.engine.Network;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Init;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.DataSplit;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.driver.train.LearningRate;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.driver.train.OuterConfig;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.driver.train.TrainDefaults;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.optim.Adam;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.cnnspark.engine.optim.OptimizerType;
import org.cnnspark.engine.optim.Optimizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML API on local[2] over Fashion-MNIST subsets as DataFrames of pixel vectors:
 * fit inside a Pipeline, transform, MulticlassClassificationEvaluator, save/load of the
 * estimator, the model and a PipelineModel.
 */
class CnnClassifierTest {
  static final String ARCH = "conv(8,3,pad=1) relu maxpool(2) conv(16,3,pad=1) relu maxpool(2) flatten dense(32) relu dense(10)";

  @TempDir
  static Path dir;
  static SparkSession spark;
  static Dataset<Row> train;
  static Dataset<Row> test;
  static PipelineModel fitted;

  @BeforeAll
  static void start() throws IOException {
    LocalSpark.Subset tr = LocalSpark.fashion("train", 0, 1500);
    LocalSpark.Subset te = LocalSpark.fashion("t10k", 0, 300);
    spark = LocalSpark.start(2, "cnn-spark ML tests");
    train = frame(tr, 3);
    test = frame(te, 2);
    fitted = new Pipeline().setStages(new PipelineStage[] {classifier()}).fit(train);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** With the absent values of the Params whose defaults changed: one round per epoch, contiguous, the same rate. */
  static CnnClassifier classifier() {
    return new CnnClassifier().setArchitecture(ARCH).setEpochs(2).setBatchSize(32).setLr(0.05).setNumWorkers(2).setSeed(3)
        .setRoundsPerEpoch(1).setSplit("contiguous").setLrScaling("none").setWarmupEpochs(0).setOuter("average");
  }

  /** Columns id (long), features (ml Vector of pixel values 0..255), label (double), in `parts` partitions. */
  static Dataset<Row> frame(LocalSpark.Subset s, int parts) {
    return frame(spark, s, parts);
  }

  /** As {@link #frame(LocalSpark.Subset, int)} in the given session. */
  static Dataset<Row> frame(SparkSession spark, LocalSpark.Subset s, int parts) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < s.count(); i++) {
      double[] v = new double[s.imageSize()];
      for (int j = 0; j < v.length; j++) {
        v[j] = s.pixels()[i * s.imageSize() + j] & 0xff;
      }
      rows.add(RowFactory.create((long) i, Vectors.dense(v), (double) s.labels()[i]));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType).add("features", SQLDataTypes.VectorType())
        .add("label", DataTypes.DoubleType);
    return spark.createDataFrame(rows, schema).repartition(parts).sortWithinPartitions("id");
  }

  static CnnClassificationModel model(PipelineModel p) {
    return (CnnClassificationModel) p.stages()[0];
  }

  @Tag("compat")
  @Test
  void transformAddsColumnsAndTheEvaluatorAgreesWithDistributedScoring() {
    Dataset<Row> out = fitted.transform(test);
    assertEquals(List.of("id", "features", "label", "rawPrediction", "probability", "prediction"),
        List.of(out.schema().fieldNames()));
    List<Row> rows = out.collectAsList();
    assertEquals(300, rows.size());
    for (Row r : rows) {
      Vector p = r.getAs("probability");
      Vector raw = r.getAs("rawPrediction");
      assertEquals(10, p.size());
      double sum = 0;
      for (double x : p.toArray()) {
        sum += x;
      }
      assertEquals(1.0, sum, 1e-5);
      assertEquals(raw.argmax(), (int) (double) r.getAs("prediction"));
      assertEquals(p.argmax(), raw.argmax());
    }
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(out);
    assertTrue(accuracy > 0.5, "2 epochs of 1,500 images (chance is 0.1): " + accuracy);

    // The same model scored by the training code's distributed evaluation.
    CnnClassificationModel m = model(fitted);
    ModelFile f = m.modelFile();
    LoadedData blocks = Datasets.fromDataFrame(test, DataOptions.of(null, 2).withColumns("features", "label"));
    DistributedTrainer.Evaluation e = new DistributedTrainer(JavaSparkContext.fromSparkContext(spark.sparkContext()),
        new EngineSpec(f.spec(), f.inputShape(), f.optimizer(), f.normalization(), 1),
        TrainConfig.defaults()).evaluate(blocks.blocks(), f.params());
    blocks.unpersist();
    assertEquals(e.accuracy(), accuracy, 1.0 / 300, "at most a near-tie may differ between batchings");
  }

  @Test
  void fitIsDeterministicAndRecordsTraining() {
    CnnClassificationModel again = classifier().fit(train);
    CnnClassificationModel first = model(fitted);
    assertArrayEquals(first.modelFile().params(), again.modelFile().params());
    assertEquals(2, first.trainingMetrics().size(), "one metrics line per round");
    assertEquals("2", first.modelFile().provenance().get("partitions"));
    assertEquals(10, first.numClasses());
    assertEquals("1x28x28", first.modelFile().inputShape().toString());
    CnnClassificationModel otherSeed = classifier().setSeed(4).fit(train);
    assertFalse(java.util.Arrays.equals(first.modelFile().params(), otherSeed.modelFile().params()));
  }

  @Test
  void frozenTensorsKeepTheirInitialBits() {
    CnnClassificationModel m = classifier().setFreeze("conv1").fit(train);
    Network initial = Network.create(ModelSpec.parse(ARCH), m.modelFile().inputShape(), Init.PYTORCH, 3);
    float[] fitted = m.modelFile().params();
    float[] start = initial.paramsArray();
    for (org.cnnspark.engine.ParamView v : initial.views()) {
      boolean same = Arrays.equals(Arrays.copyOfRange(start, v.offset(), v.offset() + v.size()),
          Arrays.copyOfRange(fitted, v.offset(), v.offset() + v.size()));
      assertEquals(v.name().startsWith("conv1."), same, v.name());
    }
    assertEquals("conv1", m.modelFile().provenance().get("freeze"));
    assertThrows(IllegalArgumentException.class, () -> classifier().setFreeze("conv9").fit(train));
  }

  @Test
  void normalisationIsTrainedWithAndKeptInTheModel() {
    CnnClassificationModel m = classifier().setEpochs(1).setNormalize("mean=0.286,std=0.353").fit(train);
    assertArrayEquals(new float[] {0.286f}, m.modelFile().normalization().mean());
    assertArrayEquals(new float[] {0.353f}, m.modelFile().normalization().std());
    assertFalse(Arrays.equals(classifier().setEpochs(1).fit(train).modelFile().params(), m.modelFile().params()),
        "the network saw normalised pixels");
    assertThrows(IllegalArgumentException.class, () -> classifier().setNormalize("mean=1"));
  }

  @Test
  void initWeightsWithASkippedHeadAndFrozenFeatures() throws IOException {
    // the fitted model's weights as a safetensors file, as `export` writes them
    CnnClassificationModel base = model(fitted);
    Network net = Network.create(ModelSpec.parse(ARCH), base.modelFile().inputShape(), Init.PYTORCH, 0);
    net.setParams(base.modelFile().params());
    java.nio.file.Path file = dir.resolve("base.safetensors");
    org.cnnspark.engine.io.SafeTensors.write(file, org.cnnspark.engine.io.StateDict.export(net), java.util.Map.of());
    CnnClassificationModel tuned = classifier().setEpochs(1).setInit(file.toString()).setInitSkip("fc2")
        .setFreeze("conv1,conv2,fc1").fit(train);
    float[] after = tuned.modelFile().params();
    for (org.cnnspark.engine.ParamView v : net.views()) {
      boolean same = Arrays.equals(Arrays.copyOfRange(base.modelFile().params(), v.offset(), v.offset() + v.size()),
          Arrays.copyOfRange(after, v.offset(), v.offset() + v.size()));
      assertEquals(!v.name().startsWith("fc2."), same, v.name() + ": loaded and frozen, or fresh and trained");
    }
    assertEquals(file.toString(), tuned.modelFile().provenance().get("init"));
    assertEquals("fc2", tuned.modelFile().provenance().get("init_skip"));
    assertThrows(IllegalArgumentException.class, () -> classifier().setInitSkip("fc2").fit(train), "initSkip needs init");
  }

  @Test
  void aBarePresetTakesTheDatasClassCount() {
    Dataset<Row> threeClasses = train.limit(96).withColumn("label", org.apache.spark.sql.functions.col("label").mod(3));
    CnnClassificationModel m = classifier().setArchitecture("resnet20").setEpochs(1).fit(threeClasses);
    assertEquals(3, m.numClasses());
    assertTrue(m.modelFile().spec().toString().endsWith("dense(3,name=fc)"), m.modelFile().spec().toString());
  }

  @Test
  void augmentationChangesTrainingAndIsRecorded() {
    CnnClassificationModel m = classifier().setEpochs(1).setAugment("crop=2,flip").fit(train);
    assertEquals("crop=2,flip", m.modelFile().provenance().get("augment"));
    assertFalse(Arrays.equals(classifier().setEpochs(1).fit(train).modelFile().params(), m.modelFile().params()));
    assertArrayEquals(m.modelFile().params(), classifier().setEpochs(1).setAugment("crop=2,flip").fit(train)
        .modelFile().params(), "seeded: the same bits twice");
    assertThrows(IllegalArgumentException.class, () -> classifier().setAugment("rotate=5"));
  }

  /**
   * What Spark Connect's ML server needs (SparkConnectMlTest runs it end to end): both classes in
   * Java's ServiceLoader, which wants public no-argument constructors, and the results as Params,
   * the only part of a model a Connect client sees; they are read-only and stay out of the saved
   * metadata, so that builds before them load the model.
   */
  @Test
  void registeredForSparkConnectWithTheResultsAsReadOnlyParams() throws IOException {
    assertTrue(ServiceLoader.load(Estimator.class).stream().anyMatch(p -> p.type() == CnnClassifier.class));
    assertTrue(ServiceLoader.load(Transformer.class).stream().anyMatch(p -> p.type() == CnnClassificationModel.class));
    CnnClassificationModel empty = new CnnClassificationModel();
    IllegalStateException noNetwork = assertThrows(IllegalStateException.class, () -> empty.transform(test));
    assertTrue(noNetwork.getMessage().contains("CnnClassifier.fit or CnnClassificationModel.load"), noNetwork.getMessage());

    CnnClassificationModel m = model(fitted);
    assertEquals(10, m.getOrDefault(m.numClassesParam()));
    assertEquals(m.trainingMetrics(), List.of(m.getOrDefault(m.trainingMetricsParam())));
    assertEquals(0, m.getOrDefault(m.classNamesParam()).length, "pixel vectors name no classes");
    assertThrows(IllegalArgumentException.class, () -> m.set(m.numClassesParam(), 5));
    assertThrows(IllegalArgumentException.class, () -> m.copy(new ParamMap().put(m.trainingMetricsParam(), new String[0])));
    assertEquals(10, m.copy(new ParamMap()).getOrDefault(m.numClassesParam()));

    String path = dir.resolve("model-results").toString();
    m.write().overwrite().save(path);
    String metadata = spark.read().text(path + "/metadata").first().getString(0);
    assertFalse(metadata.contains("numClasses") || metadata.contains("trainingMetrics"), metadata);
    CnnClassificationModel loaded = CnnClassificationModel.load(path);
    assertEquals(m.trainingMetrics(), List.of(loaded.getOrDefault(loaded.trainingMetricsParam())));
  }

  /**
   * Spark 4.1+'s Connect ML cache keeps each model on the driver's disk too (MLWriter.saveToLocal,
   * MLReader.loadFromLocal): the data must go there as well, whatever the default file system; a
   * file system without an implementation stands in for HDFS. Skipped before Spark 4.1.
   */
  @Test
  void savesAndLoadsOnTheDriversDiskWhenSparkAsksForIt() throws Exception {
    java.lang.reflect.Method saveToLocal;
    java.lang.reflect.Method loadFromLocal;
    try {
      saveToLocal = MLWriter.class.getMethod("saveToLocal", String.class);
      loadFromLocal = MLReader.class.getMethod("loadFromLocal", String.class);
    } catch (NoSuchMethodException e) {
      assumeTrue(false, "Spark " + spark.version() + " has no local saving (4.1+)");
      return;
    }
    CnnClassificationModel m = model(fitted);
    Path local = dir.resolve("driver-local");
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    String defaultFs = conf.get("fs.defaultFS");
    conf.set("fs.defaultFS", "nofs:///");
    CnnClassificationModel loaded;
    try {
      saveToLocal.invoke(m.write(), local.toString());
      loaded = (CnnClassificationModel) loadFromLocal.invoke(CnnClassificationModel.read(), local.toString());
    } finally {
      conf.set("fs.defaultFS", defaultFs);
    }
    assertTrue(Files.isRegularFile(local.resolve("metadata")), "Spark's local metadata file");
    assertTrue(Files.isRegularFile(local.resolve("data/model.cnn")));
    assertArrayEquals(m.modelFile().params(), loaded.modelFile().params());
    assertEquals(m.trainingMetrics(), loaded.trainingMetrics());
  }

  @Tag("compat")
  @Test
  void saveAndLoadTheModelTheEstimatorAndThePipelineModel() throws IOException {
    List<Row> before = fitted.transform(test).select("id", "probability").collectAsList();

    String modelPath = dir.resolve("model").toString();
    model(fitted).write().overwrite().save(modelPath);
    CnnClassificationModel loaded = CnnClassificationModel.load(modelPath);
    assertEquals(model(fitted).uid(), loaded.uid());
    assertArrayEquals(model(fitted).modelFile().params(), loaded.modelFile().params());
    assertEquals(model(fitted).trainingMetrics(), loaded.trainingMetrics());
    assertEquals(before, loaded.transform(test).select("id", "probability").collectAsList());

    String pipePath = dir.resolve("pipeline").toString();
    fitted.write().overwrite().save(pipePath);
    PipelineModel pipe = PipelineModel.load(pipePath);
    assertEquals(before, pipe.transform(test).select("id", "probability").collectAsList());

    String estPath = dir.resolve("estimator").toString();
    classifier().setRoundsPerEpoch(3).setOptimizer("adam").write().overwrite().save(estPath);
    CnnClassifier est = CnnClassifier.load(estPath);
    assertEquals(3, est.getRoundsPerEpoch());
    assertEquals("adam", est.getOptimizer());
    assertEquals(ARCH, est.getArchitecture());
    assertEquals(3L, est.getSeed());
    assertEquals(OptimizerConfig.adam(0.05, 0.9, 0.999, 1e-8, 0), est.optimizerConfig(), "lr set, the rest Adam's defaults");
    String unsetPath = dir.resolve("estimator-unset").toString();
    new CnnClassifier().setOptimizer("adam").write().overwrite().save(unsetPath);
    assertEquals(Adam.TYPE.defaults(), CnnClassifier.load(unsetPath).optimizerConfig(), "unset stays unset when loaded");
  }

  /**
   * The build before optimizer types had their own defaults saved lr 0.01, momentum 0.9 and weight
   * decay 0 as Param defaults; Spark's reader restores them, and the estimator trains with them
   * (here Adam with lr 0.01, not Adam's own 0.001). The metadata is that build's, written out here.
   */
  @Tag("compat")
  @Test
  void anEstimatorSavedWithTheOldDefaultsKeepsTrainingWithThem() throws IOException {
    Path saved = dir.resolve("estimator-old-defaults");
    Files.createDirectories(saved.resolve("metadata"));
    Files.writeString(saved.resolve("metadata/part-00000"), "{\"class\":\"org.cnnspark.driver.ml.CnnClassifier\","
        + "\"timestamp\":1796212437063,\"sparkVersion\":\"4.0.1\",\"uid\":\"cnnClassifier_5d1c0a6e2b77\","
        + "\"paramMap\":{\"optimizer\":\"adam\"},"
        + "\"defaultParamMap\":{\"architecture\":\"tutorial-cnn\",\"inputShape\":\"\",\"epochs\":5,\"batchSize\":64,"
        + "\"optimizer\":\"sgd\",\"lr\":0.01,\"momentum\":0.9,\"nesterov\":false,\"weightDecay\":0.0,"
        + "\"roundsPerEpoch\":1,\"resetOptimizerState\":false,\"shuffle\":true,\"seed\":1,\"numWorkers\":0,"
        + "\"featuresCol\":\"features\",\"labelCol\":\"label\",\"predictionCol\":\"prediction\","
        + "\"probabilityCol\":\"probability\",\"rawPredictionCol\":\"rawPrediction\"}}\n");
    CnnClassifier old = CnnClassifier.load(saved.toString());
    assertEquals("adam", old.getOptimizer());
    assertEquals(OptimizerConfig.adam(0.01, 0.9, 0.999, 1e-8, 0), old.optimizerConfig());
    assertEquals(0.01, old.getLr());
    assertEquals(0.9, old.getMomentum());
    assertEquals(0.0, old.getWeightDecay());
    assertEquals(LearningRate.constant(), old.learningRate(), "saved before schedules: the optimizer's rate throughout");
    assertEquals(TrainConfig.absent(), old.trainConfig(), "saved before the issue-11 Params: their absent values, not "
        + "today's defaults");
    assertEquals(DataSplit.CONTIGUOUS.value(), old.getSplit());
    assertEquals(TrainDefaults.SPLIT, new CnnClassifier().getSplit(), "a new estimator has the defaults");
  }

  @Test
  void learningRateParamsScheduleTheRateAndAreChecked() throws IOException {
    assertEquals(TrainDefaults.learningRate(), new CnnClassifier().learningRate(), "unset: the defaults");
    CnnClassifier step = new CnnClassifier().setLrSchedule("step").setLrMilestones("3,4.5").setLrGamma(0.5)
        .setLrScaling("sqrt").setMaxLrScale(2).setWarmupEpochs(0.5);
    assertEquals(LearningRate.of("step", List.of(3.0, 4.5), 0.5, 0, 0.5, "sqrt", 2), step.learningRate());
    String path = dir.resolve("estimator-schedule").toString();
    step.write().overwrite().save(path);
    assertEquals(step.learningRate(), CnnClassifier.load(path).learningRate());
    assertArrayEquals(new double[] {3, 4.5}, CnnClassifier.load(path).getLrMilestones());

    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setLrSchedule("cosinus"));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setLrScaling("double"));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setLrMilestones(2, 1));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setLrMilestones("2,x"));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setLrGamma(0));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setLrMin(-1));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setWarmupEpochs(-1));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setMaxLrScale(0.5));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setMaxLrScale(1e6));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> classifier().setLrScaling("linear").setWarmupEpochs(3).fit(train));
    assertTrue(e.getMessage().contains("--warmup-epochs 3.0 is longer than the run's 2 epochs"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> classifier().setLrMilestones(1).fit(train));
    assertTrue(e.getMessage().contains("--lr-milestones applies to --lr-schedule step only"), e.getMessage());

    // one epoch of two rounds, linear scaling on 2 workers and cosine: rounds start at 2 x 0.05, then half that
    CnnClassificationModel m = classifier().setEpochs(1).setRoundsPerEpoch(2).setLrSchedule("cosine")
        .setLrScaling("linear").fit(train);
    assertEquals(0.1, RoundMetrics.fromJson(m.trainingMetrics().get(0)).lr(), 1e-15);
    assertEquals(0.05, RoundMetrics.fromJson(m.trainingMetrics().get(1)).lr(), 1e-15);
    assertEquals("cosine to 0.0 over 1 epoch; linear scaling, cap 8.0", m.modelFile().provenance().get("lr_schedule"));
  }

  /** Settings not set take the optimizer's defaults, as on the command line; those set win. */
  @Test
  void unsetOptimizerSettingsTakeTheOptimizersDefaults() {
    for (OptimizerType t : Optimizers.all()) {
      CnnClassifier c = new CnnClassifier().setOptimizer(t.name());
      assertEquals(t.defaults(), c.optimizerConfig(), t.name());
      assertEquals(t.defaults().lr(), c.getLr(), t.name());
      assertEquals(t.defaults().weightDecay(), c.getWeightDecay(), t.name());
    }
    assertEquals(OptimizerConfig.sgd(0.2, 0.5, true, 1e-3), new CnnClassifier().setLr(0.2).setMomentum(0.5)
        .setNesterov(true).setWeightDecay(1e-3).optimizerConfig());
  }

  /** The outer rule and round schedule Params make the TrainConfig the CLI options do; unset = today's rounds. */
  @Test
  void outerAndScheduleParamsGiveTheirTrainConfig() throws IOException {
    TrainConfig plain = new CnnClassifier().trainConfig();
    assertEquals(TrainDefaults.outer(), plain.outer());
    assertEquals(TrainConfig.defaults(), plain, "unset Params: the train command's defaults");
    CnnClassifier c = new CnnClassifier().setEpochs(4).setRoundsPerEpoch(5).setRoundsSchedule("8,2,1").setOuter("DiLoCo")
        .setOuterLr(0.5).setOuterNesterov(false);
    TrainConfig cfg = c.trainConfig();
    assertEquals(List.of(8, 2, 1), cfg.roundsSchedule(), "a schedule in place of roundsPerEpoch");
    assertEquals(new OuterConfig("diloco", 0.5, null, false), cfg.outer());
    assertEquals(3, new CnnClassifier().setRoundsPerEpoch(3).trainConfig().roundsInEpoch(2));

    String path = dir.resolve("estimator-outer").toString();
    c.write().overwrite().save(path);
    CnnClassifier loaded = CnnClassifier.load(path);
    assertEquals(cfg, loaded.trainConfig());
    assertEquals(null, loaded.getOuterMomentum(), "unset stays unset when loaded");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CnnClassifier().setEpochs(2).setRoundsSchedule("3,2,1").trainConfig());
    assertTrue(e.getMessage().contains("roundsSchedule") && e.getMessage().contains("lists 3 epochs"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setOuter("slowmo"));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setOuterLr(-0.1));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setOuterLr(0));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setOuterLr(100));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setOuterMomentum(1));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setOuterMomentum(-0.5));
    for (String bad : new String[] {"8,,1", "a", "3,0", ",", " "}) {
      assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setRoundsSchedule(bad), bad);
    }
  }

  @Tag("compat")
  @Test
  void imageStructColumnsScoreLikeTheirPixelVectors() throws IOException {
    // The same 300 images as Spark's image struct (what spark.read().format("image") gives).
    LocalSpark.Subset te = LocalSpark.fashion("t10k", 0, 300);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < te.count(); i++) {
      byte[] px = java.util.Arrays.copyOfRange(te.pixels(), i * te.imageSize(), (i + 1) * te.imageSize());
      rows.add(RowFactory.create((long) i, RowFactory.create("mem://" + i, 28, 28, 1, 0, px)));
    }
    StructType image = new StructType().add("origin", DataTypes.StringType).add("height", DataTypes.IntegerType)
        .add("width", DataTypes.IntegerType).add("nChannels", DataTypes.IntegerType).add("mode", DataTypes.IntegerType)
        .add("data", DataTypes.BinaryType);
    Dataset<Row> images = spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType).add("image", image));
    CnnClassificationModel m = model(fitted).copy(new org.apache.spark.ml.param.ParamMap()).setFeaturesCol("image");
    List<Row> fromStructs = m.transform(images).orderBy("id").select("prediction").collectAsList();
    List<Row> fromVectors = model(fitted).transform(test).orderBy("id").select("prediction").collectAsList();
    assertEquals(fromVectors, fromStructs);
  }

  @Test
  void outputColumnsCanBeRenamedOrLeftOut() {
    CnnClassificationModel m = model(fitted).copy(new org.apache.spark.ml.param.ParamMap())
        .setRawPredictionCol("").setProbabilityCol("").setPredictionCol("guess");
    assertEquals(List.of("id", "features", "label", "guess"), List.of(m.transform(test).schema().fieldNames()));
  }

  @Tag("compat")
  @Test
  void theSharedColumnParamsAreSparkParamsOfTheirOwner() {
    CnnClassifier cnn = new CnnClassifier().setFeaturesCol("image").setPredictionCol("guess");
    CnnClassificationModel m = model(fitted);
    List<String> columns = List.of("featuresCol", "predictionCol", "probabilityCol", "rawPredictionCol");
    for (Params owner : List.of(cnn, m)) {
      List<String> names = Arrays.stream(owner.params()).map(Param::name).toList();
      assertTrue(names.containsAll(columns), owner.uid() + " lists " + names);
      for (String c : columns) {
        assertEquals(owner.uid(), owner.getParam(c).parent(), c);
      }
    }
    assertEquals("image", cnn.getFeaturesCol());
    assertEquals("guess", cnn.getPredictionCol());
    assertEquals("probability", cnn.getProbabilityCol());
    assertEquals("rawPrediction", m.getRawPredictionCol());
  }

  @Tag("compat")
  @Test
  void badParamsAndColumnsAreRefusedWithReasons() {
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setEpochs(0));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setArchitecture("conv(8) nonsense"));
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setOptimizer("rmsprop"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> classifier().setFeaturesCol("image").fit(train));
    assertTrue(e.getMessage().contains("'image'") && e.getMessage().contains("features"), e.getMessage());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> model(fitted).transform(test.withColumnRenamed("features", "pixels")));
    assertTrue(e2.getMessage().contains("setFeaturesCol"), e2.getMessage());
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
        () -> classifier().setArchitecture("flatten dense(4)").fit(train));
    assertTrue(e3.getMessage().contains("dense(10)"), e3.getMessage());
  }

  @Test
  void theSplitParamMixesTheTrainingRowsOnlyWhenAsked() {
    assertEquals(TrainDefaults.SPLIT, new CnnClassifier().getSplit());
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setSplit("zigzag"));
    assertEquals("contiguous", model(fitted).modelFile().provenance().get("dataset_split"));
    CnnClassificationModel mixed = classifier().setEpochs(1).setSplit("mixed").fit(train);
    assertEquals("mixed", mixed.modelFile().provenance().get("dataset_split"));
  }

  /** A DataFrame streamed through a shuffle buffer in row order trains the bits of whole partitions. */
  @Test
  void theShuffleBufferParamStreamsTheRows() {
    assertEquals(0, new CnnClassifier().getShuffleBuffer());
    assertThrows(IllegalArgumentException.class, () -> new CnnClassifier().setShuffleBuffer(-1));
    CnnClassificationModel whole = classifier().setEpochs(1).setShuffle(false).fit(train);
    CnnClassificationModel streamed = classifier().setEpochs(1).setShuffle(false).setShuffleBuffer(200).fit(train);
    assertEquals("200", streamed.modelFile().provenance().get("shuffle_buffer"));
    assertArrayEquals(whole.modelFile().params(), streamed.modelFile().params());
    CnnClassificationModel shuffled = classifier().setEpochs(1).setShuffleBuffer(200).fit(train);
    assertFalse(java.util.Arrays.equals(whole.modelFile().params(), shuffled.modelFile().params()));
  }
}
