package org.cnnspark.driver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.data.DataSplit;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.report.TrainingReport;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.store.CheckpointWriter;
import org.cnnspark.driver.store.Checkpoints;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.LearningRate;
import org.cnnspark.driver.train.LrScaling;
import org.cnnspark.driver.train.LrSchedule;
import org.cnnspark.driver.train.LrSchedules;
import org.cnnspark.driver.train.OuterConfig;
import org.cnnspark.driver.train.OuterRule;
import org.cnnspark.driver.train.OuterRules;
import org.cnnspark.driver.train.RoundListener;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.driver.train.TrainDefaults;
import org.cnnspark.driver.train.TrainState;
import org.cnnspark.driver.train.TrainingDivergedException;
import org.cnnspark.driver.train.EngineOptions;
import org.cnnspark.driver.train.TrainingRun;
import org.cnnspark.engine.Augmentation;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Presets;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.StateDict;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.cnnspark.engine.optim.OptimizerConfig.Setting;
import org.cnnspark.engine.optim.OptimizerType;
import org.cnnspark.engine.optim.Optimizers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: synchronous data-parallel training on Spark, writing a model directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    modelTransformer = TrainCommand.OptimizerHelp.class,
    description = {"Train a CNN on Spark: every round, each worker trains the engine on its partition's share, then the "
        + "driver averages the parameters (weighted by examples, in partition order: bit-identical run to run), or "
        + "with --outer takes an SGD step on the round's change.",
        "Writes MODEL_DIR/model.cnn (weights, architecture, provenance), MODEL_DIR/metrics.jsonl (one JSON line per round)"
            + " and MODEL_DIR/report.html (learning curves); checkpoints in MODEL_DIR/checkpoints (--resume continues from them)."})
public final class TrainCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  /** This command as parsed: which options the command line gave (--resume takes the others from the checkpoint). */
  @CommandLine.Spec
  CommandSpec command;

  @Mixin
  DataArgs dataArgs;

  @Option(names = "--test", paramLabel = "PATH",
      description = "Test data in the same format, scored after every epoch (and after every round with --eval-every-round).")
  String test;

  @Option(names = "--test-labels", paramLabel = "PATH", description = "IDX labels file of --test (default: its sibling).")
  String testLabels;

  @Option(names = "--arch", defaultValue = "tutorial-cnn", paramLabel = "SPEC",
      description = "Architecture: tutorial-cnn, a ResNet preset such as resnet18(classes=10), a spec string such as 'conv(32,3,pad=1) relu maxpool(2) flatten dense(10)', or JSON "
          + "(default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--input-shape", paramLabel = "CxHxW",
      description = "Input shape of the model (default: the data's). Data of another shape fails unless --resize.")
  String inputShape;

  @Option(names = "--init", paramLabel = "W.safetensors",
      description = "Start from these weights (PyTorch names and layouts) instead of a fresh initialisation.")
  String init;

  @Option(names = "--init-skip", split = ",", paramLabel = "PREFIX",
      description = "With --init: keep the fresh initialisation of the tensors under these prefixes and ignore the file's"
          + " there, e.g. fc for a head with another class count (fc.weight, fc.bias).")
  List<String> initSkip;

  @Option(names = "--normalize", paramLabel = "NORM",
      description = "Pixel normalisation after / 255, kept in the model for evaluate and predict: none (default), imagenet"
          + " (torchvision's constants), or mean=M1[,M2,...],std=S1[,S2,...], one per channel.")
  String normalize;

  @Option(names = "--augment", paramLabel = "AUG",
      description = "Augment the training images on the executors: none (default), or crop=PAD and/or flip, e.g."
          + " crop=4,flip (torchvision's RandomCrop(padding=PAD) and RandomHorizontalFlip); seeded per step and image.")
  String augment;

  @Option(names = "--freeze", split = ",", paramLabel = "PREFIX",
      description = "Tensors that do not train, by name prefix (e.g. conv1,bn1,layer1): no update, no weight decay; their"
          + " batch norms run in eval mode and keep their statistics; no backward below the lowest layer that trains.")
  List<String> freeze;

  @Option(names = "--epochs", defaultValue = "5", description = "Passes over the data (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Minibatch size on each worker (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--optimizer", defaultValue = "sgd", paramLabel = "NAME", completionCandidates = OptimizerNames.class,
      description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); the settings each reads, and their defaults, are "
          + "listed at the end.")
  String optimizer;

  @Option(names = "--lr", description = "Learning rate (default: the optimizer's).")
  Double lr;

  @Option(names = "--momentum", description = "Momentum, for an optimizer that reads it (default: the optimizer's).")
  Double momentum;

  @Option(names = "--nesterov", description = "Nesterov momentum, for an optimizer that reads it.")
  boolean nesterov;

  @Option(names = "--weight-decay", description = "Weight decay, by the optimizer's rule (PyTorch's; default: the optimizer's).")
  Double weightDecay;

  @Option(names = "--lr-schedule", defaultValue = TrainDefaults.LR_SCHEDULE, paramLabel = "NAME", completionCandidates = ScheduleNames.class,
      description = "Learning rate over the run, a function of t = epochs done (fractional, at every step): "
          + "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); listed at the end.")
  String lrSchedule;

  @Option(names = "--lr-milestones", paramLabel = "E1,E2,...",
      description = "Epochs (may be fractional, increasing) at which --lr-schedule step multiplies the rate by --lr-gamma "
          + "(default: none).")
  String lrMilestones;

  @Option(names = "--lr-gamma", defaultValue = "" + LearningRate.GAMMA, paramLabel = "G",
      description = "Factor of --lr-schedule step at each milestone, in (0, 1] (default: ${DEFAULT-VALUE}).")
  double lrGamma;

  @Option(names = "--lr-min", defaultValue = "0", paramLabel = "LR",
      description = "Rate --lr-schedule cosine reaches at the end of the last epoch (default: ${DEFAULT-VALUE}).")
  double lrMin;

  @Option(names = "--lr-scaling", defaultValue = TrainDefaults.LR_SCALING, paramLabel = "RULE", completionCandidates = ScalingNames.class,
      description = "Scale the rate with W, the number of workers: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; none = "
          + "the --lr of one worker, whatever W); listed at the end.")
  String lrScaling;

  @Option(names = "--max-lr-scale", defaultValue = "" + TrainDefaults.MAX_LR_SCALE, paramLabel = "X",
      description = "Cap of --lr-scaling's factor (default: ${DEFAULT-VALUE}).")
  double maxLrScale;

  @Option(names = "--warmup-epochs", defaultValue = "" + TrainDefaults.WARMUP_EPOCHS, paramLabel = "X",
      description = "Ramp the rate linearly from --lr up to the scaled rate over the first X epochs (fractional; 0 = none; "
          + "nothing to ramp with --lr-scaling none or one worker; default: ${DEFAULT-VALUE}).")
  double warmupEpochs;

  @Mixin
  SparkArgs sparkArgs;

  @Option(names = "--rounds-per-epoch", defaultValue = "" + TrainDefaults.ROUNDS_PER_EPOCH, paramLabel = "K[,K...]",
      description = "Parameter averages per epoch; each round trains 1/K of every partition's minibatches. A list is a "
          + "schedule: 8,2,1 = 8 rounds in epoch 1, 2 in epoch 2, then 1 in every later epoch; 1 = per-epoch averaging "
          + "(default: ${DEFAULT-VALUE}).")
  String roundsPerEpoch;

  @Option(names = "--outer", defaultValue = TrainDefaults.OUTER, paramLabel = "RULE", completionCandidates = OuterNames.class,
      description = "Outer update of each round: the workers' average x_avg gives the pseudo-gradient x - x_avg, to "
          + "which the driver applies SGD with momentum: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; average = "
          + "the plain average; the settings of each are listed at the end).")
  String outer;

  @Option(names = "--outer-lr", paramLabel = "LR", description = "Outer learning rate, in place of the --outer rule's.")
  Double outerLr;

  @Option(names = "--outer-momentum", paramLabel = "M", description = "Outer momentum in [0, 1), in place of the --outer rule's.")
  Double outerMomentum;

  @Option(names = "--outer-nesterov", arity = "0..1", paramLabel = "true|false",
      description = "Outer Nesterov momentum on (or =false: off), in place of the --outer rule's.")
  Boolean outerNesterov;

  @Option(names = "--reset-optimizer-state",
      description = "Start every round with zero momentum / Adam moments instead of averaging them with the parameters.")
  boolean resetOptimizerState;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation, shuffling and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--no-shuffle",
      description = "Visit each partition's records in file order, not shuffled: comparable step by step with a PyTorch loop "
          + "(with --split contiguous, partition 0 holds the first records).")
  boolean noShuffle;

  @Option(names = "--split", defaultValue = TrainDefaults.SPLIT, paramLabel = "SPLIT", completionCandidates = SplitNames.class,
      description = "Which training records go to which worker: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; "
          + "described at the end). mixed gives every worker the whole set's mix of classes, also when the files are "
          + "sorted by class (image folders are); the order comes from --seed. Test data is always contiguous.")
  String split;

  @Option(names = "--shuffle-buffer", defaultValue = "0", paramLabel = "RECORDS",
      description = "Stream each worker's data instead of holding it in one task: the records are kept in chunks of "
          + "about RECORDS/4 (memory, else local disk), read in an order drawn each epoch, and shuffled within windows "
          + "of about RECORDS records; a task holds one window. For data whose partitions exceed a task's memory. "
          + "0 = each task holds and shuffles its whole partition (default: ${DEFAULT-VALUE}).")
  int shuffleBuffer;

  @Option(names = "--eval-every-round", description = "Score --test after every round, not only after each epoch.")
  boolean evalEveryRound;

  @Option(names = "--out", required = true, paramLabel = "MODEL_DIR",
      description = "Model directory to write; an existing one is replaced only once the new one is complete.")
  String out;

  @Option(names = "--checkpoint-every", defaultValue = "1", paramLabel = "N",
      description = "Write a checkpoint to MODEL_DIR/checkpoints every N rounds and after the last; 0 = none (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--keep-checkpoints", defaultValue = "2", paramLabel = "N",
      description = "Checkpoints to keep; older ones are deleted once a newer one is complete (default: ${DEFAULT-VALUE}).")
  int keepCheckpoints;

  @Option(names = "--resume",
      description = "Continue the run in --out from its latest checkpoint. The options must be those of that run, except "
          + "--epochs (may change, unless --lr-schedule cosine spans them), --master, --checkpoint-every and --keep-checkpoints. "
          + "Options of the learning rate, rounds, outer rule, split and shuffle buffer that are not given take the checkpoint's values "
          + "(for a checkpoint of a build without an option: its old behaviour, not today's default); those given must "
          + "match. Without a checkpoint, start from the beginning.")
  boolean resume;

  /**
   * Options that may differ between a checkpoint's run and the run that resumes it: they do not
   * change the bits (epochs do under a schedule that spans the run, see {@link #freeOnResume}).
   */
  private static final List<String> FREE_ON_RESUME = List.of("epochs");

  /**
   * Options whose defaults differ from their absent values: a resumed run takes each one not given
   * from its checkpoint, where a missing key means the absent value (a build before the option, or
   * a run that left it there). So a checkpoint resumes with its own bits whatever today's defaults.
   * Null = no value (the option's field stays unset).
   */
  private static final Map<String, String> ABSENT_ON_RESUME = absentOnResume();

  private static Map<String, String> absentOnResume() {
    LearningRate absent = LearningRate.constant();
    Map<String, String> m = new TreeMap<>();
    m.put("split", DataSplit.CONTIGUOUS.value());
    m.put("shuffle-buffer", "0");
    m.put("rounds-per-epoch", "1");
    m.put("outer", OuterConfig.ABSENT.rule());
    m.put("outer-lr", null);
    m.put("outer-momentum", null);
    m.put("outer-nesterov", null);
    m.put("lr-schedule", absent.schedule().name());
    m.put("lr-milestones", null);
    m.put("lr-gamma", Double.toString(absent.gamma()));
    m.put("lr-min", Double.toString(absent.min()));
    m.put("warmup-epochs", Double.toString(absent.warmupEpochs()));
    m.put("lr-scaling", absent.scaling().name());
    m.put("max-lr-scale", Double.toString(absent.maxScale()));
    return m;
  }

  /** What the options decide before the data is seen: rebuilt when --resume takes options from a checkpoint. */
  private record Settings(LearningRate rate, TrainConfig cfg, DataSplit split) {}

  @Override
  public Integer call() throws IOException {
    // Every option is checked before Spark starts: a typo should not cost a Spark start-up.
    ModelSpec spec = ModelSpec.parse(arch);
    Normalization normalization = normalize == null ? Normalization.SCALE_ONLY : Normalization.parse(normalize);
    Augmentation augmentation = augment == null ? Augmentation.NONE : Augmentation.parse(augment);
    OptimizerConfig optConfig = optimizerConfig();
    Settings settings;
    try {
      settings = settings(optConfig);
    } catch (IllegalArgumentException e) {
      if (!resume) {
        throw e;
      }
      settings = null; // may be completed by the checkpoint's options (checked again then)
    }
    Shape wanted = inputShape == null ? null : ModelArgs.parseShape(inputShape);
    sparkArgs.check();
    if (initSkip != null && !initSkip.isEmpty() && init == null) {
      throw new IllegalArgumentException("--init-skip needs --init: it names tensors of the --init file to leave out");
    }
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException("--checkpoint-every must be >= 0 (0 = no checkpoints), got " + checkpointEvery);
    }
    if (keepCheckpoints < 1) {
      throw new IllegalArgumentException("--keep-checkpoints must be >= 1, got " + keepCheckpoints);
    }
    try (SparkSessions.Started s = SparkSessions.start(sparkArgs.master, "cnn-spark train", common.verbose)) {
      Configuration conf = s.jsc().hadoopConfiguration();
      if (HadoopFiles.exists(out, conf) && !HadoopFiles.isDirectory(out, conf)) {
        throw new IllegalArgumentException("--out " + out + " is a file: give a directory for the model");
      }
      int w = sparkArgs.workers(s);
      Checkpoints checkpoints = new Checkpoints(out, conf);
      checkpoints.removeTemporaries();
      Checkpoints.Checkpoint latest = checkpoints.latest(System.err).orElse(null);
      if (resume && latest != null) {
        takeFromCheckpoint(latest.options());
      }
      if (settings == null || resume && latest != null) {
        settings = settings(optConfig);
      }
      LearningRate rate = settings.rate();
      TrainConfig cfg = settings.cfg();
      DataSplit dataSplit = settings.split();
      Map<String, String> options = options(spec, optConfig, cfg, dataSplit, w, conf);
      Checkpoints.Checkpoint from = startingPoint(latest, options, freeOnResume(rate), cfg);
      LoadedData train = Datasets.load(s.spark(), dataArgs.options(dataArgs.data, dataArgs.labels, w, wanted)
          .withSplit(dataSplit, seed).withShuffleBuffer(cfg.shuffleBuffer()));
      LoadedData testData = null;
      String bare = Presets.bareResNet(arch);
      if (bare != null && train.numClasses() > 0) { // a bare preset's head follows the data, as torchvision's num_classes
        spec = ModelSpec.parse(bare + "(classes=" + train.numClasses() + ")");
        System.err.println("cnn-spark: --arch " + bare + " with " + train.numClasses() + " classes in the data: "
            + bare + "(classes=" + train.numClasses() + ")");
      }
      try {
        TrainingRun run = new TrainingRun(s.jsc(), spec, train.shape(), optConfig, cfg, s.taskCpus(),
            new EngineOptions(freeze == null ? List.of() : freeze, normalization, augmentation));
        int outputs = run.network().numClasses();
        if (dataArgs.skipBadRecords && train.classNames().isEmpty() && train.numClasses() > outputs) {
          // Labels past the outputs are bad records: load again with the class count fixed, so that they are
          // skipped and counted. (Without skipping, checkClasses says which layer or labels to fix.)
          train.unpersist();
          train = Datasets.load(s.spark(), dataArgs.options(dataArgs.data, dataArgs.labels, w, wanted)
              .withNumClasses(outputs).withSplit(dataSplit, seed).withShuffleBuffer(cfg.shuffleBuffer()));
        }
        run.checkClasses(train, dataArgs.data);
        if (test != null) {
          testData = Datasets.load(s.spark(), dataArgs.options(test, testLabels, w, train.shape())
              .withClassNames(train.classNames().isEmpty() ? null : train.classNames()).withNumClasses(outputs));
          run.checkClasses(testData, test);
        }
        if (from != null) {
          checkResumable(from, run, train.count());
        } else if (init != null) {
          try (InputStream in = HadoopFiles.open(init, conf, "--init")) {
            List<String> kept = StateDict.load(run.network(), SafeTensors.read(in, init), init,
                initSkip == null ? List.of() : initSkip);
            if (!kept.isEmpty()) {
              System.err.println("cnn-spark: --init-skip: " + String.join(", ", kept) + " start freshly initialised");
            }
          }
        }
        if (init != null) {
          run.note("init", init);
        }
        if (initSkip != null && !initSkip.isEmpty()) {
          run.note("init_skip", String.join(",", initSkip));
        }
        long cached = cachedBytes(s, train);
        System.err.printf("cnn-spark: %,d training images %s in %d partitions%s%s%s (cached: %.1f MB, %.0f bytes per image);"
            + " %s%s;%s %s%n", train.count(), train.shape(), w,
            train.chunks() == null ? "" : String.format(" (%,d chunks of up to %,d, streamed through a buffer of %,d)",
                train.chunks().partitions(), train.chunks().records(), cfg.shuffleBuffer()),
            train.skipped() > 0 ? " (" + train.skipped() + " bad records skipped)" : "",
            testData == null ? "" : String.format(", %,d test images", testData.count()), cached / 1e6,
            (double) cached / train.count(), cfg.averagingMode(),
            cfg.outer().isAbsent() ? "" : " (outer step: " + cfg.outer().settings(w).describe() + ")",
            rate.isConstant() ? "" : String.format(" learning rate: %s (peak %s = --lr x %s);", rate.describe(epochs),
                optConfig.lr() * rate.scale(w), rate.scale(w)), Kernels.description());
        RoundListener progress = (m, state) -> System.err.println(m.line(epochs));
        CheckpointWriter writer = new CheckpointWriter(run, checkpoints, options, checkpointEvery, keepCheckpoints, from);
        TrainState done;
        try {
          done = run.train(new TrainingRun.RunData(train, dataArgs.data, testData, test),
              from == null ? null : from.state(), from == null ? List.of() : from.metrics(),
              List.of(progress, writer));
        } catch (TrainingDivergedException e) {
          throw new TrainingDivergedException(e.getMessage() + ". " + (writer.lastFile() == null
              ? "This run wrote no checkpoint" : "The last good checkpoint, " + writer.lastFile() + ", is kept")
              + (HadoopFiles.exists(new org.apache.hadoop.fs.Path(out, ModelDir.MODEL).toString(), conf)
              ? "; " + out + "/" + ModelDir.MODEL + " is left as it was" : ""));
        }
        ModelFile model = run.model(done);
        if (from != null) {
          warnIfOtherKernels(from, model.provenance());
        }
        ModelDir.write(out, model, run.metrics().lines(), conf);
        String report = TrainingReport.writeAfterTraining(out, conf, System.err);
        RoundMetrics last = run.metrics().last();
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

  /**
   * The options that decide the bits of a run, as a checkpoint stores them; paths are made
   * absolute so that the same file given another way still matches.
   */
  private Map<String, String> options(ModelSpec spec, OptimizerConfig opt, TrainConfig cfg, DataSplit dataSplit, int w,
      Configuration conf) throws IOException {
    Map<String, String> o = new TreeMap<>();
    o.put("data", qualified(dataArgs.data, conf));
    o.put("labels", qualified(dataArgs.labels, conf));
    o.put("format", dataArgs.format);
    o.put("image-col", dataArgs.imageCol);
    o.put("label-col", dataArgs.labelCol);
    o.put("resize", Boolean.toString(dataArgs.resize));
    o.put("skip-bad-records", Boolean.toString(dataArgs.skipBadRecords));
    o.put("test", qualified(test, conf));
    o.put("test-labels", qualified(testLabels, conf));
    o.put("arch", spec.toString());
    o.put("input-shape", inputShape);
    o.put("init", qualified(init, conf));
    if (initSkip != null && !initSkip.isEmpty()) { // absent when not given: earlier checkpoints' options still match
      o.put("init-skip", String.join(",", initSkip));
    }
    if (freeze != null && !freeze.isEmpty()) {
      o.put("freeze", String.join(",", freeze));
    }
    if (normalize != null) {
      o.put("normalize", Normalization.parse(normalize).text());
    }
    if (augment != null) {
      o.put("augment", Augmentation.parse(augment).text());
    }
    o.put("epochs", Integer.toString(epochs));
    o.put("batch-size", Integer.toString(batchSize));
    o.put("optimizer", opt.type().name());
    o.put("lr", Double.toString(opt.lr()));
    o.put("momentum", Double.toString(opt.momentum()));
    o.put("nesterov", Boolean.toString(opt.nesterov()));
    o.put("weight-decay", Double.toString(opt.weightDecay()));
    o.put("workers", Integer.toString(w));
    o.put("rounds-per-epoch", cfg.roundsText());
    // options added after checkpoints existed enter only when given, so older checkpoints still match
    if (!cfg.outer().rule().equals(OuterConfig.ABSENT.rule())) {
      o.put("outer", cfg.outer().rule());
    }
    if (outerLr != null) {
      o.put("outer-lr", Double.toString(outerLr));
    }
    if (outerMomentum != null) {
      o.put("outer-momentum", Double.toString(outerMomentum));
    }
    if (outerNesterov != null) {
      o.put("outer-nesterov", Boolean.toString(outerNesterov));
    }
    o.put("reset-optimizer-state", Boolean.toString(resetOptimizerState));
    o.put("seed", Long.toString(seed));
    o.put("no-shuffle", Boolean.toString(noShuffle));
    o.put("eval-every-round", Boolean.toString(evalEveryRound));
    if (dataSplit != DataSplit.CONTIGUOUS) { // absent = contiguous: checkpoints of earlier builds resume
      o.put("split", dataSplit.value());
    }
    if (cfg.shuffleBuffer() > 0) { // absent = 0
      o.put("shuffle-buffer", Integer.toString(cfg.shuffleBuffer()));
    }
    // only the settings that differ from the absent values: older checkpoints resume
    o.putAll(cfg.learningRate().givenOptions());
    o.values().removeIf(java.util.Objects::isNull);
    return o;
  }

  private static String qualified(String path, Configuration conf) throws IOException {
    if (path == null) {
      return null;
    }
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
    return HadoopFiles.fs(p, conf).makeQualified(p).toString();
  }

  /**
   * The checkpoint to continue from (--resume), or null to start from the beginning. A run without
   * --resume refuses a directory whose checkpoints show an unfinished run: starting over would
   * throw that work away.
   */
  private Checkpoints.Checkpoint startingPoint(Checkpoints.Checkpoint latest, Map<String, String> options,
      List<String> free, TrainConfig cfg) {
    if (!resume) {
      if (latest != null && latest.state().epoch() < Integer.parseInt(latest.options().getOrDefault("epochs", "0"))) {
        throw new IllegalArgumentException("--out " + out + " holds checkpoints of an unfinished run (" + latest.file()
            + ", " + position(latest.state(), cfg) + " of " + latest.options().get("epochs") + " epochs): add --resume to continue "
            + "it, or delete " + out + "/" + Checkpoints.DIR + " to start over");
      }
      return null;
    }
    if (latest == null) {
      System.err.println("cnn-spark: no checkpoint in " + out + "/" + Checkpoints.DIR + ": starting from the beginning");
      return null;
    }
    List<String> differ = Checkpoints.differences(latest.options(), options, free);
    if (!differ.isEmpty()) {
      throw new IllegalArgumentException("cannot resume from " + latest.file() + ": its run had other options: "
          + String.join(", ", differ) + ". Resume with the run's options (" + (free.isEmpty()
          ? "--epochs too: --lr-schedule " + lrSchedule + " spans the run's epochs" : "only --epochs may change")
          + "; leave out the learning-rate, rounds, outer and split options to take the checkpoint's), or train into "
          + "another --out");
    }
    TrainState at = latest.state();
    if (epochs < at.epoch() + (at.round() > 0 ? 1 : 0)) {
      throw new IllegalArgumentException("--epochs " + epochs + " ends before " + latest.file() + " (" + position(at, cfg)
          + "): give at least --epochs " + (at.epoch() + (at.round() > 0 ? 1 : 0)));
    }
    System.err.println("cnn-spark: resuming from " + latest.file() + " (" + position(at, cfg) + ")");
    return latest;
  }

  private static String position(TrainState at, TrainConfig cfg) {
    return "next: epoch " + (at.epoch() + 1) + (cfg.roundsInEpoch(at.epoch()) > 1 ? " round " + (at.round() + 1) : "");
  }

  /** The options a resumed run may change: not --epochs when the learning-rate schedule depends on the run's length. */
  private static List<String> freeOnResume(LearningRate rate) {
    return rate.schedule().spansTheRun() ? List.of() : FREE_ON_RESUME;
  }

  /**
   * Kernels and engine threads are not options but change the last bits: a run resumed elsewhere is
   * valid training, just not bit-identical to an uninterrupted one, which is worth a warning.
   */
  private static void warnIfOtherKernels(Checkpoints.Checkpoint from, Map<String, String> now) {
    for (String key : List.of("executor_kernels", "threads_per_task")) {
      String then = from.model().provenance().getOrDefault(key, "");
      String current = now.getOrDefault(key, "");
      if (!then.isEmpty() && !current.isEmpty() && !then.equals(current)) {
        System.err.println("cnn-spark: warning: " + key + " was " + then + " up to " + from.file() + " and is "
            + current + " now: the weights will not be bit-identical to an uninterrupted run");
      }
    }
  }

  /** What options cannot see: the data's record count and the sizes of the saved state. */
  private static void checkResumable(Checkpoints.Checkpoint from, TrainingRun run, long records) {
    Network net = run.network();
    int stateSize = run.stateSize();
    String saved = from.model().provenance().get("dataset_count");
    if (saved != null && !saved.equals(Long.toString(records))) {
      throw new IllegalArgumentException("cannot resume from " + from.file() + ": its run trained on " + saved
          + " records, --data now holds " + records + ". Resume with the same data, or train into another --out");
    }
    if (from.state().params().length != net.totalSize() || from.state().state().length != stateSize) {
      throw new IllegalArgumentException("checkpoint " + from.file() + " holds " + from.state().params().length
          + " parameters and " + from.state().state().length + " optimizer state values; the model needs " + net.totalSize()
          + " and " + stateSize + ": it is not from this run's architecture");
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

  private DataSplit dataSplit() {
    return DataSplit.find(split).orElseThrow(() -> new IllegalArgumentException("--split must be "
        + DataSplit.names("|") + ", got '" + split + "'"));
  }

  /** The learning rate, rounds, outer rule and split the options give; refused with the option named when bad. */
  private Settings settings(OptimizerConfig optConfig) {
    LearningRate rate = LearningRate.of(lrSchedule, LearningRate.parseMilestones(lrMilestones), lrGamma, lrMin,
        warmupEpochs, lrScaling, maxLrScale);
    rate.checkBase(optConfig.lr());
    TrainConfig cfg = TrainConfig.defaults().epochs(epochs).batchSize(batchSize)
        .roundsSchedule(TrainConfig.parseRounds(roundsPerEpoch, "--rounds-per-epoch"))
        .resetOptimizerState(resetOptimizerState).seed(seed).shuffle(!noShuffle).evalEveryRound(evalEveryRound)
        .shuffleBuffer(shuffleBuffer)
        .learningRate(rate)
        .outer(new OuterConfig(outer == null ? OuterConfig.ABSENT.rule() : outer, outerLr, outerMomentum, outerNesterov));
    return new Settings(rate, cfg, dataSplit());
  }

  /**
   * Sets every option of {@link #ABSENT_ON_RESUME} that the command line did not give to the
   * checkpoint's value, or to its absent value when the checkpoint has no such key.
   */
  private void takeFromCheckpoint(Map<String, String> saved) {
    CommandLine.ParseResult given = command.commandLine().getParseResult();
    for (Map.Entry<String, String> e : ABSENT_ON_RESUME.entrySet()) {
      OptionSpec option = command.findOption("--" + e.getKey());
      if (given != null && given.hasMatchedOption(option)) {
        continue;
      }
      String value = saved.containsKey(e.getKey()) ? saved.get(e.getKey()) : e.getValue();
      option.setValue(value == null ? null : typed(value, option.type(), e.getKey()));
    }
  }

  /** A checkpoint's option value as the option's field holds it. */
  private static Object typed(String value, Class<?> type, String name) {
    try {
      if (type == double.class || type == Double.class) {
        return Double.valueOf(value);
      } else if (type == int.class || type == Integer.class) {
        return Integer.valueOf(value);
      } else if (type == boolean.class || type == Boolean.class) {
        return Boolean.valueOf(value);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the checkpoint's --" + name + " is not a number: '" + value + "'", e);
    }
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
    OptimizerType type = Optimizers.find(optimizer).orElseThrow(() -> new IllegalArgumentException(
        "--optimizer must be " + Optimizers.names() + ", got '" + optimizer + "'"));
    if (nesterov && !type.settings().contains(Setting.NESTEROV)) {
      throw new IllegalArgumentException("--nesterov applies to --optimizer " + Optimizers.namesUsing(Setting.NESTEROV)
          + " only");
    }
    return type.defaults().with(lr, momentum, nesterov, weightDecay);
  }

  /** The registered optimizer names, for --optimizer's help. */
  static final class OptimizerNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Optimizers.all().stream().map(OptimizerType::name).iterator();
    }
  }

  /** The split names, for --split's help. */
  static final class SplitNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return java.util.Arrays.stream(DataSplit.values()).map(DataSplit::value).iterator();
    }
  }

  /** The registered learning-rate schedule names, for --lr-schedule's help. */
  static final class ScheduleNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return LrSchedules.schedules().stream().map(LrSchedule::name).iterator();
    }
  }

  /** The registered scaling rule names, for --lr-scaling's help. */
  static final class ScalingNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return LrSchedules.scalings().stream().map(LrScaling::name).iterator();
    }
  }

  /** The registered outer rule names, for --outer's help. */
  static final class OuterNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return OuterRules.all().stream().map(OuterRule::name).iterator();
    }
  }

  /**
   * Ends train's help with every optimizer and the defaults its settings take when not given, the
   * splits, every learning-rate schedule and scaling rule, and the outer rules.
   */
  static final class OptimizerHelp implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      List<String> footer = new ArrayList<>(List.of("", "Optimizers and their defaults:"));
      Optimizers.all().forEach(t -> footer.add("  " + t.defaults().describe()));
      footer.add("");
      footer.add("Splits (--split):");
      for (DataSplit d : DataSplit.values()) {
        footer.add("  " + d.value() + ": " + d.description());
      }
      footer.add("");
      footer.add("Learning-rate schedules (the rate of every step; docs/learning-rate.md):");
      LrSchedules.schedules().forEach(s -> footer.add("  " + s.name() + ": " + s.summary()));
      footer.add("Scaling with W workers (--warmup-epochs ramps up to it from --lr; --max-lr-scale caps it):");
      LrSchedules.scalings().forEach(s -> footer.add("  " + s.name() + ": " + s.summary()));
      footer.add("");
      footer.add("Outer rules (--outer; W = --workers; --outer-lr, --outer-momentum, --outer-nesterov replace a setting):");
      OuterRules.all().forEach(r -> footer.add("  " + r.name() + ": " + r.summary()));
      spec.usageMessage().footer(footer.toArray(String[]::new));
      return spec;
    }
  }
}
