package org.cnnspark.driver.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.ModelDir;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.driver.train.TrainState;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.StateDict;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.optim.OptimizerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: synchronous data-parallel training on Spark, writing a model directory. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a CNN on Spark: each round every worker trains on its partition, then the parameters are averaged.")
public final class TrainCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Option(names = "--data", required = true, description = "Training data: IDX images file, CIFAR-10 batches, image folder or Parquet.")
  String data;

  @Option(names = "--labels", description = "IDX labels file (default: the sibling of --data with labels-idx1 in place of images-idx3).")
  String labels;

  @Option(names = "--test", description = "Test data, evaluated after every epoch (same format as --data).")
  String test;

  @Option(names = "--format", description = "idx, cifar, images or parquet (default: detected).")
  String format;

  @Option(names = "--arch", defaultValue = "tutorial-cnn", description = "Architecture: tutorial-cnn, a spec string or JSON (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--input-shape", description = "CxHxW when the data does not say (images are resized to it when given).")
  String inputShape;

  @Option(names = "--init", description = "Start from these weights (safetensors with PyTorch names) instead of a fresh initialisation.")
  String init;

  @Option(names = "--epochs", defaultValue = "5", description = "Passes over the data (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Minibatch size per worker (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd or adam (default: ${DEFAULT-VALUE}).")
  String optimizer;

  @Option(names = "--lr", description = "Learning rate (default: 0.01 for sgd, 0.001 for adam).")
  Double lr;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
  double momentum;

  @Option(names = "--nesterov", description = "Nesterov momentum for SGD.")
  boolean nesterov;

  @Option(names = "--weight-decay", defaultValue = "0", description = "L2 weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(names = "--workers", description = "Partitions trained in parallel (default: the cores Spark gives the job).")
  Integer workers;

  @Option(names = "--rounds-per-epoch", defaultValue = "1", description = "Parameter averages per epoch (default: ${DEFAULT-VALUE}).")
  int roundsPerEpoch;

  @Option(names = "--reset-optimizer-state", description = "Start every round with empty momentum/Adam moments instead of averaging them.")
  boolean resetOptimizerState;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation, shuffling and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--no-shuffle", description = "Train on minibatches in file order (partition 0 holds the first records).")
  boolean noShuffle;

  @Option(names = "--skip-bad-records", description = "Skip records that do not decode or have a bad label, and report how many.")
  boolean skipBadRecords;

  @Option(names = "--master", description = "Spark master URL (default: embedded local[*], or what spark-submit set).")
  String master;

  @Option(names = "--out", required = true, description = "Model directory to write (replaced atomically if it exists).")
  String out;

  @Override
  public Integer call() throws Exception {
    ModelSpec spec = ModelSpec.parse(arch);
    String opt = optimizer.toLowerCase(Locale.ROOT);
    OptimizerConfig optConfig = switch (opt) {
      case "sgd" -> OptimizerConfig.sgd(lr == null ? 0.01 : lr, momentum, nesterov, weightDecay);
      case "adam" -> OptimizerConfig.adam(lr == null ? 0.001 : lr, 0.9, 0.999, 1e-8, weightDecay);
      default -> throw new IllegalArgumentException("--optimizer must be sgd or adam, got '" + optimizer + "'");
    };
    Shape wanted = inputShape == null ? null : Shape.parse(inputShape);
    // option errors before Spark starts: a typo should not cost a Spark start-up
    TrainConfig cfg = new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, !noShuffle, false);
    if (workers != null && workers < 1) {
      throw new IllegalArgumentException("--workers must be >= 1, got " + workers);
    }
    SparkSession spark = SparkSessions.start(master, "cnn-spark train");
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      int w = workers != null ? workers : jsc.defaultParallelism();
      if (w < 1) {
        throw new IllegalArgumentException("--workers must be >= 1, got " + w);
      }
      LoadedData train = Datasets.load(spark, options(data, labels, w, wanted));
      LoadedData testData = test == null ? null : Datasets.load(spark, options(test, null, w, train.shape()));
      Network net = Network.create(spec, train.shape(), Init.PYTORCH, seed);
      if (train.numClasses() > net.numClasses()) {
        throw new IllegalArgumentException("the data has " + train.numClasses() + " classes but " + spec
            + " has " + net.numClasses() + " outputs: make the last layer dense(" + train.numClasses() + ")");
      }
      if (init != null) {
        StateDict.load(net, SafeTensors.read(java.nio.file.Path.of(init)), init);
      }
      int threads = Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
      EngineSpec engine = new EngineSpec(spec, train.shape(), optConfig, Normalization.SCALE_ONLY, threads);
      System.err.printf("cnn-spark: %,d training images %s in %d partitions%s; %s%n", train.count(), train.shape(), w,
          train.skipped() > 0 ? " (" + train.skipped() + " bad records skipped)" : "", Kernels.description());
      List<String> metrics = new ArrayList<>();
      DistributedTrainer trainer = new DistributedTrainer(jsc, engine, cfg);
      int stateSize = optConfig.stateFloatsPerParam() * net.trainableSize();
      TrainState done = trainer.run(train.blocks(), testData == null ? null : testData.blocks(),
          TrainState.start(net.paramsArray(), stateSize), (m, s) -> {
            System.err.println(m.line(epochs));
            metrics.add(m.toJson());
          });
      net.setParams(done.params());
      Map<String, String> prov = new TreeMap<>(ModelFile.basicProvenance(net.gemm()));
      prov.put("seed", Long.toString(seed));
      prov.put("partitions", Integer.toString(w));
      prov.put("averaging", roundsPerEpoch + " round(s) per epoch, optimizer state " + (resetOptimizerState ? "reset" : "averaged"));
      prov.put("spark_version", spark.version());
      prov.put("dataset", data + " (" + train.count() + " records)");
      ModelFile model = new ModelFile(spec, train.shape(), Normalization.SCALE_ONLY, train.classNames(), prov, optConfig,
          done.steps(), done.params(), done.state());
      ModelDir.write(out, model, metrics, jsc.hadoopConfiguration());
      System.err.println("cnn-spark: wrote " + out);
      return 0;
    } finally {
      spark.stop();
    }
  }

  private DataOptions options(String path, String labelsPath, int partitions, Shape shape) {
    DataOptions o = DataOptions.of(path, partitions).withSkipBadRecords(skipBadRecords);
    if (labelsPath != null) {
      o = o.withLabelsPath(labelsPath);
    }
    if (format != null) {
      o = o.withFormat(format);
    }
    if (shape != null) {
      o = o.withInputShape(shape, inputShape != null);
    }
    return o;
  }
}
