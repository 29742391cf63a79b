package org.cnnspark.driver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.HadoopIo;
import org.cnnspark.driver.ModelDir;
import org.cnnspark.driver.Provenance;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.report.TrainingReport;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.driver.train.RoundMetrics;
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
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Train a CNN on Spark: every round, each worker trains the engine on its partition's share, then the "
        + "driver averages the parameters (weighted by examples, in partition order: bit-identical run to run).",
        "Writes MODEL_DIR/model.cnn (weights, architecture, provenance), MODEL_DIR/metrics.jsonl (one JSON line per round)"
            + " and MODEL_DIR/report.html (learning curves)."})
public final class TrainCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Mixin
  DataArgs dataArgs;

  @Option(names = "--test", paramLabel = "PATH",
      description = "Test data in the same format, scored after every epoch (and after every round with --eval-every-round).")
  String test;

  @Option(names = "--test-labels", paramLabel = "PATH", description = "IDX labels file of --test (default: its sibling).")
  String testLabels;

  @Option(names = "--arch", defaultValue = "tutorial-cnn", paramLabel = "SPEC",
      description = "Architecture: tutorial-cnn, a spec string such as 'conv(32,3,pad=1) relu maxpool(2) flatten dense(10)', or JSON "
          + "(default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--input-shape", paramLabel = "CxHxW",
      description = "Input shape of the model (default: the data's). Data of another shape fails unless --resize.")
  String inputShape;

  @Option(names = "--init", paramLabel = "W.safetensors",
      description = "Start from these weights (PyTorch names and layouts) instead of a fresh initialisation.")
  String init;

  @Option(names = "--epochs", defaultValue = "5", description = "Passes over the data (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Minibatch size on each worker (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd or adam (default: ${DEFAULT-VALUE}).")
  String optimizer;

  @Option(names = "--lr", description = "Learning rate (default: 0.01 for sgd, 0.001 for adam).")
  Double lr;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
  double momentum;

  @Option(names = "--nesterov", description = "Nesterov momentum (SGD).")
  boolean nesterov;

  @Option(names = "--weight-decay", defaultValue = "0", description = "L2 weight decay, PyTorch's rule (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Mixin
  SparkArgs sparkArgs;

  @Option(names = "--rounds-per-epoch", defaultValue = "1", paramLabel = "K",
      description = "Parameter averages per epoch; each round trains 1/K of every partition's minibatches (default: ${DEFAULT-VALUE}).")
  int roundsPerEpoch;

  @Option(names = "--reset-optimizer-state",
      description = "Start every round with zero momentum / Adam moments instead of averaging them with the parameters.")
  boolean resetOptimizerState;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation, shuffling and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--no-shuffle",
      description = "Train on minibatches in file order (partition 0 holds the first records): comparable step by step with a PyTorch loop.")
  boolean noShuffle;

  @Option(names = "--eval-every-round", description = "Score --test after every round, not only after each epoch.")
  boolean evalEveryRound;

  @Option(names = "--out", required = true, paramLabel = "MODEL_DIR",
      description = "Model directory to write; an existing one is replaced only once the new one is complete.")
  String out;

  @Override
  public Integer call() throws IOException {
    // Every option is checked before Spark starts: a typo should not cost a Spark start-up.
    ModelSpec spec = ModelSpec.parse(arch);
    OptimizerConfig optConfig = optimizerConfig();
    TrainConfig cfg = new TrainConfig(epochs, batchSize, roundsPerEpoch, resetOptimizerState, seed, !noShuffle,
        evalEveryRound);
    Shape wanted = inputShape == null ? null : ModelArgs.parseShape(inputShape);
    sparkArgs.check();
    try (SparkSessions.Started s = SparkSessions.start(sparkArgs.master, "cnn-spark train", common.verbose)) {
      Configuration conf = s.jsc().hadoopConfiguration();
      if (HadoopIo.exists(out, conf) && !HadoopIo.isDirectory(out, conf)) {
        throw new IllegalArgumentException("--out " + out + " is a file: give a directory for the model");
      }
      int w = sparkArgs.workers(s);
      LoadedData train = Datasets.load(s.spark(), dataArgs.options(dataArgs.data, dataArgs.labels, w, wanted));
      LoadedData testData = null;
      try {
        Network net = Network.create(spec, train.shape(), Init.PYTORCH, seed);
        int stateSize = optConfig.stateFloatsPerParam() * net.trainableSize();
        ModelFile.checkFits(net.totalSize(), stateSize);
        if (dataArgs.skipBadRecords && train.classNames().isEmpty() && train.numClasses() > net.numClasses()) {
          // Labels past the outputs are bad records: load again with the class count fixed, so that they are
          // skipped and counted. (Without skipping, checkClasses says which layer or labels to fix.)
          train.unpersist();
          train = Datasets.load(s.spark(), dataArgs.options(dataArgs.data, dataArgs.labels, w, wanted)
              .withNumClasses(net.numClasses()));
        }
        DistributedTrainer.checkClasses(train, net.numClasses(), dataArgs.data);
        if (test != null) {
          testData = Datasets.load(s.spark(), dataArgs.options(test, testLabels, w, train.shape())
              .withClassNames(train.classNames().isEmpty() ? null : train.classNames()).withNumClasses(net.numClasses()));
          DistributedTrainer.checkClasses(testData, net.numClasses(), test);
        }
        if (init != null) {
          try (InputStream in = HadoopIo.open(init, conf, "--init")) {
            StateDict.load(net, SafeTensors.read(in, init), init);
          }
        }
        EngineSpec engine = new EngineSpec(spec, train.shape(), optConfig, Normalization.SCALE_ONLY, s.taskCpus());
        long cached = cachedBytes(s, train);
        System.err.printf("cnn-spark: %,d training images %s in %d partitions%s%s (cached: %.1f MB, %.0f bytes per image);"
            + " %s; %s%n", train.count(), train.shape(), w,
            train.skipped() > 0 ? " (" + train.skipped() + " bad records skipped)" : "",
            testData == null ? "" : String.format(", %,d test images", testData.count()), cached / 1e6,
            (double) cached / train.count(), cfg.averagingMode(), Kernels.description());
        List<String> metrics = new ArrayList<>();
        List<RoundMetrics> history = new ArrayList<>();
        DistributedTrainer trainer = new DistributedTrainer(s.jsc(), engine, cfg);
        TrainState done = trainer.run(train.blocks(), testData == null ? null : testData.blocks(),
            TrainState.start(net.paramsArray(), stateSize), (m, state) -> {
              System.err.println(m.line(epochs));
              metrics.add(m.toJson());
              history.add(m);
            });
        Map<String, String> prov = provenance(s, net, trainer, train, testData, w, history);
        ModelFile model = new ModelFile(spec, train.shape(), Normalization.SCALE_ONLY, train.classNames(), prov, optConfig,
            done.steps(), done.params(), done.state());
        ModelDir.write(out, model, metrics, conf);
        String report = TrainingReport.writeAfterTraining(out, conf, System.err);
        RoundMetrics last = history.get(history.size() - 1);
        System.err.printf("cnn-spark: wrote %s (%s%s, %,.0f img/s in the last round)%s%n", out,
            String.format("train loss %.4f", last.loss()),
            last.tested() ? String.format(", test accuracy %.2f%%", 100 * last.testAccuracy()) : "",
            last.imagesPerSecond(), report == null ? "" : "; report: " + report);
        return 0;
      } finally {
        train.unpersist();
        if (testData != null) {
          testData.unpersist();
        }
      }
    }
  }

  /** Executor memory the cached training blocks take (Spark's own accounting). */
  private static long cachedBytes(SparkSessions.Started s, LoadedData data) {
    long bytes = 0;
    for (org.apache.spark.storage.RDDInfo info : s.spark().sparkContext().getRDDStorageInfo()) {
      if (info.id() == data.blocks().id()) {
        bytes += info.memSize() + info.diskSize();
      }
    }
    return bytes;
  }

  private OptimizerConfig optimizerConfig() {
    try {
      return optimizerSettings();
    } catch (IllegalArgumentException e) { // OptimizerConfig's checks speak of settings, not options
      throw e.getMessage().startsWith("--") ? e : new IllegalArgumentException(e.getMessage()
          + " (check --optimizer, --lr, --momentum and --weight-decay)", e);
    }
  }

  private OptimizerConfig optimizerSettings() {
    return switch (optimizer.toLowerCase(Locale.ROOT)) {
      case "sgd" -> OptimizerConfig.sgd(lr == null ? 0.01 : lr, momentum, nesterov, weightDecay);
      case "adam" -> {
        if (nesterov) {
          throw new IllegalArgumentException("--nesterov applies to --optimizer sgd only");
        }
        yield OptimizerConfig.adam(lr == null ? 0.001 : lr, 0.9, 0.999, 1e-8, weightDecay);
      }
      default -> throw new IllegalArgumentException("--optimizer must be sgd or adam, got '" + optimizer + "'");
    };
  }

  private Map<String, String> provenance(SparkSessions.Started s, Network net, DistributedTrainer trainer,
      LoadedData train, LoadedData testData, int w, List<RoundMetrics> history) {
    Map<String, String> prov = Provenance.training(s.spark().sparkContext(), net.gemm(), trainer, w, dataArgs.data,
        train.count());
    if (train.skipped() > 0) {
      prov.put("dataset_skipped", Long.toString(train.skipped()));
    }
    if (init != null) {
      prov.put("init", init);
    }
    if (testData != null) {
      prov.put("test_dataset", test);
      prov.put("test_count", Long.toString(testData.count()));
      RoundMetrics last = history.get(history.size() - 1);
      if (last.tested()) {
        prov.put("test_accuracy", Double.toString(last.testAccuracy()));
      }
    }
    return prov;
  }
}
