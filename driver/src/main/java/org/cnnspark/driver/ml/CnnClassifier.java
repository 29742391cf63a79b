package org.cnnspark.driver.ml;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.DataSplit;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.train.EngineOptions;
import org.cnnspark.driver.train.LearningRate;
import org.cnnspark.driver.train.LrSchedules;
import org.cnnspark.driver.train.OuterConfig;
import org.cnnspark.driver.train.OuterRules;
import org.cnnspark.driver.train.OuterSgd;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.driver.train.TrainDefaults;
import org.cnnspark.driver.train.TrainState;
import org.cnnspark.driver.train.TrainingRun;
import org.cnnspark.engine.Augmentation;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.StateDict;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.cnnspark.engine.optim.OptimizerType;
import org.cnnspark.engine.optim.Optimizers;

/**
 * Spark ML Estimator: trains a CNN on a DataFrame with synchronous data-parallel rounds and
 * returns a {@link CnnClassificationModel}. The features column holds images: Spark's image
 * struct ({@code spark.read().format("image")}), encoded bytes (JPEG/PNG), or an ml Vector /
 * array of pixel values 0..255 in C, H, W order (then give inputShape unless it is 1xSxS or 3xSxS);
 * the label column holds class indices 0, 1, 2, ... (doubles, as StringIndexer makes them).
 *
 * <pre>
 * CnnClassifier cnn = new CnnClassifier().setFeaturesCol("image").setEpochs(5).setNumWorkers(4);
 * CnnClassificationModel model = cnn.fit(train);
 * model.transform(test);  // + rawPrediction, probability, prediction
 * </pre>
 */
public final class CnnClassifier extends Estimator<CnnClassificationModel>
    implements ImageColumnsParams<CnnClassifier>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> architecture;
  private final Param<String> inputShape;
  private final Param<String> freeze;
  private final Param<String> init;
  private final Param<String> initSkip;
  private final Param<String> normalize;
  private final Param<String> augment;
  private final IntParam epochs;
  private final IntParam batchSize;
  private final Param<String> optimizer;
  private final DoubleParam lr;
  private final DoubleParam momentum;
  private final BooleanParam nesterov;
  private final DoubleParam weightDecay;
  private final IntParam roundsPerEpoch;
  private final Param<String> roundsSchedule;
  private final Param<String> outer;
  private final DoubleParam outerLr;
  private final DoubleParam outerMomentum;
  private final BooleanParam outerNesterov;
  private final BooleanParam resetOptimizerState;
  private final BooleanParam shuffle;
  private final IntParam shuffleBuffer;
  private final LongParam seed;
  private final Param<String> split;
  private final IntParam numWorkers;
  private final Param<String> lrSchedule;
  private final DoubleArrayParam lrMilestones;
  private final DoubleParam lrGamma;
  private final DoubleParam lrMin;
  private final DoubleParam warmupEpochs;
  private final Param<String> lrScaling;
  private final DoubleParam maxLrScale;
  private final Param<String> labelCol;
  private final Columns columns;

  public CnnClassifier() {
    this(Identifiable$.MODULE$.randomUID("cnnClassifier"));
  }

  public CnnClassifier(String uid) {
    this.uid = uid;
    architecture = new Param<>(this, "architecture",
        "network: tutorial-cnn, a ResNet preset such as resnet18(classes=10), a spec string such as 'conv(32,3,pad=1) relu maxpool(2) flatten dense(10)', or JSON",
        new Validators.Architecture());
    inputShape = new Param<>(this, "inputShape", "input shape CxHxW; empty = from the data", new Validators.InputShape());
    normalize = new Param<>(this, "normalize", "pixel normalisation after / 255, kept in the model: none, imagenet, or "
        + "mean=M1[,M2,...],std=S1[,S2,...]", new Validators.Normalize());
    augment = new Param<>(this, "augment", "augmentation of the training images: none, or crop=PAD and/or flip",
        new Validators.Augment());
    init = new Param<>(this, "init", "safetensors file of weights to start from (PyTorch names and layouts), any Hadoop "
        + "path; empty = a fresh initialisation");
    initSkip = new Param<>(this, "initSkip", "with init: tensors under these comma-separated name prefixes keep their fresh "
        + "initialisation (e.g. fc for a head with another class count); empty = none");
    freeze = new Param<>(this, "freeze", "tensors that do not train, comma-separated name prefixes (e.g. conv1,bn1,layer1);"
        + " their batch norms run in eval mode; empty = every tensor trains");
    epochs = new IntParam(this, "epochs", "passes over the data (>= 1)", ParamValidators.gtEq(1));
    batchSize = new IntParam(this, "batchSize", "minibatch size on each worker (>= 1)", ParamValidators.gtEq(1));
    optimizer = new Param<>(this, "optimizer", "optimizer: " + Optimizers.names(), new Validators.Optimizer());
    lr = new DoubleParam(this, "lr", "learning rate (> 0); unset = the optimizer's default", ParamValidators.gt(0));
    momentum = new DoubleParam(this, "momentum", "momentum in [0, 1), for an optimizer that reads it; unset = the "
        + "optimizer's default", ParamValidators.inRange(0, 1, true, false));
    nesterov = new BooleanParam(this, "nesterov", "Nesterov momentum, for an optimizer that reads it");
    weightDecay = new DoubleParam(this, "weightDecay", "weight decay (>= 0), by the optimizer's rule (PyTorch's); unset = "
        + "the optimizer's default", ParamValidators.gtEq(0));
    roundsPerEpoch = new IntParam(this, "roundsPerEpoch",
        "parameter averages per epoch (>= 1); each round trains 1/K of every partition's minibatches", ParamValidators.gtEq(1));
    roundsSchedule = new Param<>(this, "roundsSchedule", "rounds per epoch as a list, e.g. '8,2,1' = 8 rounds in epoch 1, "
        + "2 in epoch 2, then 1 in every later epoch (at most epochs entries); empty = roundsPerEpoch in every epoch",
        new Validators.RoundsSchedule());
    outer = new Param<>(this, "outer", "outer update of each round's average: " + OuterRules.names() + " (average = the "
        + "workers' average; momentum, bmuf and diloco apply SGD with momentum to the round's change on the driver)",
        new Validators.Outer());
    outerLr = new DoubleParam(this, "outerLr", "outer learning rate in (0, " + (int) OuterSgd.MAX_LR + "]; unset = the "
        + "outer rule's", ParamValidators.inRange(0, OuterSgd.MAX_LR, false, true));
    outerMomentum = new DoubleParam(this, "outerMomentum", "outer momentum in [0, 1); unset = the outer rule's",
        ParamValidators.inRange(0, 1, true, false));
    outerNesterov = new BooleanParam(this, "outerNesterov", "outer Nesterov momentum; unset = the outer rule's");
    resetOptimizerState = new BooleanParam(this, "resetOptimizerState",
        "start every round with zero momentum / Adam moments instead of averaging them with the parameters");
    shuffle = new BooleanParam(this, "shuffle", "visit each partition's records in an order from (seed, epoch, partition); "
        + "false = DataFrame order");
    shuffleBuffer = new IntParam(this, "shuffleBuffer", "0 = each task holds and shuffles its worker's whole partition; "
        + "N > 0 = the rows are kept in chunks of about N/4 and streamed, shuffled within windows of about N rows, for "
        + "partitions larger than a task's memory", ParamValidators.gtEq(0));
    seed = new LongParam(this, "seed", "seed of initialisation, shuffling and dropout");
    split = new Param<>(this, "split", "which rows go to which worker: " + splitDoc(), new Validators.Split());
    numWorkers = new IntParam(this, "numWorkers", "partitions trained in parallel; 0 = the cores Spark gives the job",
        ParamValidators.gtEq(0));
    labelCol = new Param<>(this, "labelCol", "label column: class indices 0, 1, 2, ...");
    lrSchedule = new Param<>(this, "lrSchedule", "learning rate over the run, a function of t = epochs done (fractional): "
        + LrSchedules.scheduleNames(), new Validators.LrSchedule());
    lrMilestones = new DoubleArrayParam(this, "lrMilestones", "epochs (increasing, > 0, may be fractional) at which the "
        + "step schedule multiplies the rate by lrGamma; empty = none", new Validators.Milestones());
    lrGamma = new DoubleParam(this, "lrGamma", "factor of the step schedule at each milestone, in (0, 1]",
        ParamValidators.inRange(0, 1, false, true));
    lrMin = new DoubleParam(this, "lrMin", "rate the cosine schedule reaches at the end of the last epoch (>= 0)",
        ParamValidators.gtEq(0));
    warmupEpochs = new DoubleParam(this, "warmupEpochs", "ramp the rate linearly from lr up to the scaled rate over the "
        + "first X epochs (>= 0, fractional; 0 = none)", ParamValidators.gtEq(0));
    lrScaling = new Param<>(this, "lrScaling", "scale the rate with the number of workers W: "
        + LrSchedules.scalingNames(), new Validators.LrScaling());
    maxLrScale = new DoubleParam(this, "maxLrScale", "cap of lrScaling's factor, in [1, " + (int) LearningRate.LARGEST_SCALE
        + "]", ParamValidators.inRange(1, LearningRate.LARGEST_SCALE));
    // the train command's defaults (TrainDefaults); an estimator saved earlier keeps the defaults it was saved with
    LearningRate rate = TrainDefaults.learningRate();
    List<ParamPair<?>> defaults = List.of(architecture.w("tutorial-cnn"), inputShape.w(""), freeze.w(""), init.w(""), initSkip.w(""), normalize.w("none"), augment.w("none"), epochs.w(5), batchSize.w(64),
        optimizer.w("sgd"), nesterov.w(false), roundsPerEpoch.w(TrainDefaults.ROUNDS_PER_EPOCH), roundsSchedule.w(""),
        outer.w(TrainDefaults.OUTER), resetOptimizerState.w(false), shuffle.w(true), shuffleBuffer.w(0), seed.w(1L),
        split.w(TrainDefaults.SPLIT), numWorkers.w(0), labelCol.w("label"), lrSchedule.w(rate.schedule().name()),
        lrMilestones.w(new double[0]), lrGamma.w(rate.gamma()), lrMin.w(rate.min()), warmupEpochs.w(rate.warmupEpochs()),
        lrScaling.w(rate.scaling().name()), maxLrScale.w(rate.maxScale()));
    ParamDefaults.set(this, defaults);
    columns = ImageColumnsParams.Columns.of(this, "");
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Columns columns() {
    return columns;
  }

  // Params (Spark finds them through these public methods)
  public Param<String> architecture() {
    return architecture;
  }

  public Param<String> inputShape() {
    return inputShape;
  }

  public Param<String> freeze() {
    return freeze;
  }

  public Param<String> init() {
    return init;
  }

  public Param<String> initSkip() {
    return initSkip;
  }

  public Param<String> normalize() {
    return normalize;
  }

  public Param<String> augment() {
    return augment;
  }

  public IntParam epochs() {
    return epochs;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public Param<String> optimizer() {
    return optimizer;
  }

  public DoubleParam lr() {
    return lr;
  }

  public DoubleParam momentum() {
    return momentum;
  }

  public BooleanParam nesterov() {
    return nesterov;
  }

  public DoubleParam weightDecay() {
    return weightDecay;
  }

  public IntParam roundsPerEpoch() {
    return roundsPerEpoch;
  }

  public Param<String> roundsSchedule() {
    return roundsSchedule;
  }

  public Param<String> outer() {
    return outer;
  }

  public DoubleParam outerLr() {
    return outerLr;
  }

  public DoubleParam outerMomentum() {
    return outerMomentum;
  }

  public BooleanParam outerNesterov() {
    return outerNesterov;
  }

  public BooleanParam resetOptimizerState() {
    return resetOptimizerState;
  }

  public BooleanParam shuffle() {
    return shuffle;
  }

  public LongParam seed() {
    return seed;
  }

  public IntParam shuffleBuffer() {
    return shuffleBuffer;
  }

  public int getShuffleBuffer() {
    return (Integer) getOrDefault(shuffleBuffer);
  }

  /** Records of the shuffle buffer; 0 (default) = none: see {@link TrainConfig#shuffleBuffer()}. */
  public CnnClassifier setShuffleBuffer(int value) {
    set(shuffleBuffer, value);
    return this;
  }

  public Param<String> split() {
    return split;
  }

  public IntParam numWorkers() {
    return numWorkers;
  }

  public Param<String> labelCol() {
    return labelCol;
  }

  public Param<String> lrSchedule() {
    return lrSchedule;
  }

  public DoubleArrayParam lrMilestones() {
    return lrMilestones;
  }

  public DoubleParam lrGamma() {
    return lrGamma;
  }

  public DoubleParam lrMin() {
    return lrMin;
  }

  public DoubleParam warmupEpochs() {
    return warmupEpochs;
  }

  public Param<String> lrScaling() {
    return lrScaling;
  }

  public DoubleParam maxLrScale() {
    return maxLrScale;
  }

  // Getters
  public String getArchitecture() {
    return getOrDefault(architecture);
  }

  public String getInputShape() {
    return getOrDefault(inputShape);
  }

  public String getFreeze() {
    return getOrDefault(freeze);
  }

  public String getInit() {
    return getOrDefault(init);
  }

  public String getInitSkip() {
    return getOrDefault(initSkip);
  }

  public String getNormalize() {
    return getOrDefault(normalize);
  }

  public String getAugment() {
    return getOrDefault(augment);
  }

  public int getEpochs() {
    return (Integer) getOrDefault(epochs);
  }

  public int getBatchSize() {
    return (Integer) getOrDefault(batchSize);
  }

  public String getOptimizer() {
    return getOrDefault(optimizer);
  }

  /** The learning rate set (or a default an older saved estimator holds), else the optimizer's default. */
  public double getLr() {
    return isDefined(lr) ? (Double) $(lr) : optimizerType().defaults().lr();
  }

  /**
   * The momentum set (or a default an older saved estimator holds), else the optimizer's default
   * (0 for one without momentum).
   */
  public double getMomentum() {
    return isDefined(momentum) ? (Double) $(momentum) : optimizerType().defaults().momentum();
  }

  public boolean getNesterov() {
    return (Boolean) getOrDefault(nesterov);
  }

  /** The weight decay set (or a default an older saved estimator holds), else the optimizer's default. */
  public double getWeightDecay() {
    return isDefined(weightDecay) ? (Double) $(weightDecay) : optimizerType().defaults().weightDecay();
  }

  public int getRoundsPerEpoch() {
    return (Integer) getOrDefault(roundsPerEpoch);
  }

  public String getRoundsSchedule() {
    return getOrDefault(roundsSchedule);
  }

  public String getOuter() {
    return getOrDefault(outer);
  }

  /** The outer learning rate set, or null: the outer rule's. */
  public Double getOuterLr() {
    return given(outerLr);
  }

  /** The outer momentum set, or null: the outer rule's. */
  public Double getOuterMomentum() {
    return given(outerMomentum);
  }

  /** Outer Nesterov momentum as set, or null: the outer rule's. */
  public Boolean getOuterNesterov() {
    return isDefined(outerNesterov) ? (Boolean) $(outerNesterov) : null;
  }

  public boolean getResetOptimizerState() {
    return (Boolean) getOrDefault(resetOptimizerState);
  }

  public boolean getShuffle() {
    return (Boolean) getOrDefault(shuffle);
  }

  public long getSeed() {
    return (Long) getOrDefault(seed);
  }

  public String getSplit() {
    return getOrDefault(split);
  }

  public int getNumWorkers() {
    return (Integer) getOrDefault(numWorkers);
  }

  public String getLabelCol() {
    return getOrDefault(labelCol);
  }

  public String getLrSchedule() {
    return getOrDefault(lrSchedule);
  }

  public double[] getLrMilestones() {
    return getOrDefault(lrMilestones);
  }

  public double getLrGamma() {
    return (Double) getOrDefault(lrGamma);
  }

  public double getLrMin() {
    return (Double) getOrDefault(lrMin);
  }

  public double getWarmupEpochs() {
    return (Double) getOrDefault(warmupEpochs);
  }

  public String getLrScaling() {
    return getOrDefault(lrScaling);
  }

  public double getMaxLrScale() {
    return (Double) getOrDefault(maxLrScale);
  }

  // Setters return this
  public CnnClassifier setArchitecture(String value) {
    set(architecture, value);
    return this;
  }

  public CnnClassifier setInputShape(String value) {
    set(inputShape, value);
    return this;
  }

  public CnnClassifier setFreeze(String value) {
    set(freeze, value);
    return this;
  }

  public CnnClassifier setInit(String value) {
    set(init, value);
    return this;
  }

  public CnnClassifier setInitSkip(String value) {
    set(initSkip, value);
    return this;
  }

  public CnnClassifier setNormalize(String value) {
    set(normalize, value);
    return this;
  }

  public CnnClassifier setAugment(String value) {
    set(augment, value);
    return this;
  }

  public CnnClassifier setEpochs(int value) {
    set(epochs, value);
    return this;
  }

  public CnnClassifier setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  public CnnClassifier setOptimizer(String value) {
    set(optimizer, value);
    return this;
  }

  public CnnClassifier setLr(double value) {
    set(lr, value);
    return this;
  }

  public CnnClassifier setMomentum(double value) {
    set(momentum, value);
    return this;
  }

  public CnnClassifier setNesterov(boolean value) {
    set(nesterov, value);
    return this;
  }

  public CnnClassifier setWeightDecay(double value) {
    set(weightDecay, value);
    return this;
  }

  public CnnClassifier setRoundsPerEpoch(int value) {
    set(roundsPerEpoch, value);
    return this;
  }

  /** Rounds per epoch as a list, "8,2,1"; "" (the default) = roundsPerEpoch in every epoch. */
  public CnnClassifier setRoundsSchedule(String value) {
    set(roundsSchedule, value);
    return this;
  }

  public CnnClassifier setOuter(String value) {
    set(outer, value);
    return this;
  }

  public CnnClassifier setOuterLr(double value) {
    set(outerLr, value);
    return this;
  }

  public CnnClassifier setOuterMomentum(double value) {
    set(outerMomentum, value);
    return this;
  }

  public CnnClassifier setOuterNesterov(boolean value) {
    set(outerNesterov, value);
    return this;
  }

  public CnnClassifier setResetOptimizerState(boolean value) {
    set(resetOptimizerState, value);
    return this;
  }

  public CnnClassifier setShuffle(boolean value) {
    set(shuffle, value);
    return this;
  }

  public CnnClassifier setSeed(long value) {
    set(seed, value);
    return this;
  }

  /** contiguous or mixed (default {@link TrainDefaults#SPLIT}): see {@link DataSplit}. */
  public CnnClassifier setSplit(String value) {
    set(split, value);
    return this;
  }

  public CnnClassifier setNumWorkers(int value) {
    set(numWorkers, value);
    return this;
  }

  public CnnClassifier setLabelCol(String value) {
    set(labelCol, value);
    return this;
  }

  public CnnClassifier setLrSchedule(String value) {
    set(lrSchedule, value);
    return this;
  }

  /** Milestones in epochs, e.g. {@code setLrMilestones(3, 4.5)}. */
  public CnnClassifier setLrMilestones(double... value) {
    set(lrMilestones, value);
    return this;
  }

  /** Milestones as the command line takes them, e.g. "3,4.5". */
  public CnnClassifier setLrMilestones(String value) {
    return setLrMilestones(LearningRate.parseMilestones(value).stream().mapToDouble(Double::doubleValue).toArray());
  }

  public CnnClassifier setLrGamma(double value) {
    set(lrGamma, value);
    return this;
  }

  public CnnClassifier setLrMin(double value) {
    set(lrMin, value);
    return this;
  }

  public CnnClassifier setWarmupEpochs(double value) {
    set(warmupEpochs, value);
    return this;
  }

  public CnnClassifier setLrScaling(String value) {
    set(lrScaling, value);
    return this;
  }

  public CnnClassifier setMaxLrScale(double value) {
    set(maxLrScale, value);
    return this;
  }

  /** The learning-rate schedule the params describe (unset ones: their defaults, {@link TrainDefaults}). */
  LearningRate learningRate() {
    return LearningRate.of(getLrSchedule(), java.util.Arrays.stream(getLrMilestones()).boxed().toList(), getLrGamma(),
        getLrMin(), getWarmupEpochs(), getLrScaling(), getMaxLrScale());
  }

  /**
   * The optimizer the params describe: those set over the type's defaults (as the command line
   * does); settings without a Param (Adam's betas and eps) keep the defaults.
   */
  OptimizerConfig optimizerConfig() {
    return optimizerType().defaults().with(given(lr), given(momentum), getNesterov(), given(weightDecay));
  }

  private OptimizerType optimizerType() {
    return Optimizers.get(getOptimizer());
  }

  /**
   * A setting's value when it has one, else null (the type's default). Defined, not only set: an
   * estimator saved before optimizer types had their own defaults holds lr 0.01, momentum 0.9 and
   * weight decay 0 as Param defaults, and Spark's reader restores them; it keeps training with them.
   */
  private Double given(DoubleParam p) {
    return isDefined(p) ? (Double) $(p) : null;
  }

  private static String splitDoc() {
    List<String> parts = new java.util.ArrayList<>();
    for (DataSplit d : DataSplit.values()) {
      parts.add(d.value() + " (" + d.description() + ")");
    }
    return String.join(" | ", parts);
  }

  /** The rounds the params describe; a roundsSchedule, when set, in place of roundsPerEpoch. */
  TrainConfig trainConfig() {
    TrainConfig cfg = TrainConfig.defaults().epochs(getEpochs()).batchSize(getBatchSize());
    cfg = getRoundsSchedule().isEmpty() ? cfg.roundsPerEpoch(getRoundsPerEpoch())
        : cfg.roundsSchedule(TrainConfig.parseRounds(getRoundsSchedule(), "roundsSchedule"));
    return cfg.resetOptimizerState(getResetOptimizerState()).seed(getSeed()).shuffle(getShuffle())
        .shuffleBuffer(getShuffleBuffer())
        .learningRate(learningRate()).outer(new OuterConfig(getOuter(), getOuterLr(), getOuterMomentum(), getOuterNesterov()));
  }

  /** A comma-separated list of name prefixes; blank = none. */
  private static List<String> prefixes(String text) {
    return Arrays.stream(text.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList();
  }

  @Override
  public CnnClassificationModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    ModelSpec spec = ModelSpec.parse(getArchitecture());
    OptimizerConfig opt = optimizerConfig();
    TrainConfig cfg = trainConfig();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
    KryoSettings.check(jsc.getConf());
    int w = getNumWorkers() > 0 ? getNumWorkers() : Math.max(1, jsc.defaultParallelism());
    DataOptions options = DataOptions.of(null, w).withColumns(getFeaturesCol(), getLabelCol())
        .withSplit(DataSplit.find(getSplit()).orElseThrow(), getSeed()).withShuffleBuffer(getShuffleBuffer());
    if (!getInputShape().isEmpty()) {
      options = options.withInputShape(Shape.parse(getInputShape()), false);
    }
    LoadedData data = Datasets.fromDataFrame(dataset.toDF(), options);
    String bare = org.cnnspark.engine.Presets.bareResNet(getArchitecture());
    if (bare != null && data.numClasses() > 0) { // a bare preset's head follows the data's class count
      spec = ModelSpec.parse(bare + "(classes=" + data.numClasses() + ")");
    }
    try {
      List<String> skip = prefixes(getInitSkip());
      if (!skip.isEmpty() && getInit().isBlank()) {
        throw new IllegalArgumentException("initSkip needs init: it names tensors of the init file to leave out");
      }
      TrainingRun run = new TrainingRun(jsc, spec, data.shape(), opt, cfg, jsc.getConf().getInt("spark.task.cpus", 1),
          new EngineOptions(prefixes(getFreeze()), Normalization.parse(getNormalize()), Augmentation.parse(getAugment())));
      if (!getInit().isBlank()) {
        try (java.io.InputStream in = HadoopFiles.open(getInit(), jsc.hadoopConfiguration(), "init")) {
          StateDict.load(run.network(), SafeTensors.read(in, getInit()), getInit(), skip);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException("cannot read the init weights " + getInit() + ": " + e.getMessage(), e);
        }
        run.note("init", getInit());
        if (!skip.isEmpty()) {
          run.note("init_skip", String.join(",", skip));
        }
      }
      run.checkClasses(data, "the training DataFrame");
      TrainState done = run.train(new TrainingRun.RunData(data, "DataFrame (Spark ML fit)", null, null), null, List.of(),
          List.of());
      CnnClassificationModel result = new CnnClassificationModel(uid, run.model(done), run.metrics().lines());
      return copyValues(result, extractParamMap()).setParent(this);
    } finally {
      data.unpersist();
    }
  }

  @Override
  public StructType transformSchema(StructType schema) {
    CnnClassificationModel.requireFeatures(schema, getFeaturesCol());
    if (List.of(schema.fieldNames()).contains(getLabelCol()) && !(schema.apply(getLabelCol()).dataType() instanceof NumericType)) {
      throw new IllegalArgumentException("label column '" + getLabelCol() + "' has type "
          + schema.apply(getLabelCol()).dataType().simpleString() + ": it must hold class indices (StringIndexer makes them)");
    }
    return CnnClassificationModel.outputSchema(schema, getPredictionCol(), getProbabilityCol(), getRawPredictionCol());
  }

  @Override
  public CnnClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<CnnClassifier> read() {
    return new Reader();
  }

  /**
   * The absent value of every Param whose default may differ from it (see {@link TrainDefaults}):
   * the behaviour of the builds before those Params.
   */
  private List<ParamPair<?>> absentValues() {
    LearningRate absent = LearningRate.constant();
    return List.of(roundsPerEpoch.w(1), roundsSchedule.w(""), outer.w(OuterConfig.ABSENT.rule()),
        split.w(DataSplit.CONTIGUOUS.value()), lrSchedule.w(absent.schedule().name()), lrMilestones.w(new double[0]),
        lrGamma.w(absent.gamma()), lrMin.w(absent.min()), warmupEpochs.w(absent.warmupEpochs()),
        lrScaling.w(absent.scaling().name()), maxLrScale.w(absent.maxScale()));
  }

  /**
   * Spark's reader, then the absent value as the default of every Param the saved estimator holds
   * neither set nor as a default: it was saved by a build without that Param, and trains as it did
   * then, not with today's defaults (as a checkpoint resumes).
   */
  private static final class Reader extends MLReader<CnnClassifier> {
    @Override
    public CnnClassifier load(String path) {
      DefaultParamsReader<CnnClassifier> spark = new DefaultParamsReader<>();
      spark.session(sparkSession());
      CnnClassifier c = spark.load(path);
      String metadata = sparkSession().read().text(new org.apache.hadoop.fs.Path(path, "metadata").toString())
          .first().getString(0);
      com.fasterxml.jackson.databind.JsonNode json;
      try {
        json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(metadata);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("the metadata of the estimator in " + path + " is not JSON: " + e.getMessage(), e);
      }
      for (ParamPair<?> p : c.absentValues()) {
        String name = p.param().name();
        if (!json.path("paramMap").has(name) && !json.path("defaultParamMap").has(name)) {
          ParamDefaults.set(c, List.of(p));
        }
      }
      return c;
    }
  }

  public static CnnClassifier load(String path) {
    return read().load(path);
  }
}
