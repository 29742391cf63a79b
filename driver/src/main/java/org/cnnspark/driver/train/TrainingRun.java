package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * One training run, the same under the CLI and the Estimator: the network initialised from the
 * seed, the class check, the engine spec and trainer, the rounds told to listeners, and the model
 * file with its provenance. The entry points gather options, load the data and keep what is theirs
 * (the CLI: model directory, resume, progress line, report; the Estimator: the Spark ML Model).
 *
 * <p>Call order: construct (before the data is final: the network's class count may decide how it
 * is loaded), adjust {@link #network()} (e.g. initial weights) and add {@link #note}s, then
 * {@link #train} once; {@link #model} and {@link #provenance} may be called from a listener during
 * the rounds and after them.
 */
public final class TrainingRun {
  private final JavaSparkContext jsc;
  private final ModelSpec spec;
  private final Shape inputShape;
  private final OptimizerConfig optimizer;
  private final Network net;
  private final Normalization normalization;
  private final int stateSize;
  private final DistributedTrainer trainer;
  private final Map<String, String> notes = new TreeMap<>();
  private RunData data;
  private MetricsLog metrics = new MetricsLog(List.of());

  /** The data of a run and the names its provenance gives them; {@code test} (and its name) may be null. */
  public record RunData(LoadedData train, String trainName, LoadedData test, String testName) {}

  /**
   * @param inputShape the model's input shape (the training data's)
   * @param taskCpus engine threads per Spark task
   * @throws IllegalArgumentException when the parameters and optimizer state would not fit a model file, or the
   *     learning-rate schedule does not fit the optimizer's rate
   */
  public TrainingRun(JavaSparkContext jsc, ModelSpec spec, Shape inputShape, OptimizerConfig optimizer, TrainConfig config,
      int taskCpus) {
    this(jsc, spec, inputShape, optimizer, config, taskCpus, EngineOptions.NONE);
  }

  /**
   * @param options frozen tensors, normalisation, augmentation
   * @throws IllegalArgumentException also when a frozen prefix names no trainable tensor, or they
   *     freeze all, or the normalisation's channels are not the input's
   */
  public TrainingRun(JavaSparkContext jsc, ModelSpec spec, Shape inputShape, OptimizerConfig optimizer, TrainConfig config,
      int taskCpus, EngineOptions options) {
    config.learningRate().checkBase(optimizer.lr());
    options.normalization().check(inputShape);
    this.normalization = options.normalization();
    this.jsc = jsc;
    this.spec = spec;
    this.inputShape = inputShape;
    this.optimizer = optimizer;
    this.net = Network.create(spec, inputShape, Init.PYTORCH, config.seed());
    net.freeze(options.freeze()); // refuses prefixes that name nothing before Spark does any work
    this.stateSize = optimizer.stateFloatsPerParam() * net.trainableSize();
    ModelFile.checkFits(net.totalSize(), stateSize);
    this.trainer = new DistributedTrainer(jsc, new EngineSpec(spec, inputShape, optimizer, normalization,
        taskCpus, options.freeze(), options.augmentation()), config);
    if (!options.freeze().isEmpty()) {
      note("freeze", String.join(",", options.freeze()));
    }
    if (!options.augmentation().isNone()) {
      note("augment", options.augmentation().text());
    }
  }

  /** The network that sets the starting weights (freshly initialised; a caller may load others into it). */
  public Network network() {
    return net;
  }

  /** Optimizer state floats for the whole network. */
  public int stateSize() {
    return stateSize;
  }

  public TrainConfig config() {
    return trainer.config();
  }

  /** The network's outputs must cover {@code data}'s labels; {@code name} says which data in the error. */
  public void checkClasses(LoadedData data, String name) {
    DistributedTrainer.checkClasses(data, net.numClasses(), name);
  }

  /** An entry of the caller's for the provenance of every model file of this run (e.g. the weights it started from). */
  public void note(String key, String value) {
    notes.put(key, value);
  }

  /**
   * Runs the rounds from {@code from} (null: the network's weights, zero optimizer state) to the end
   * of the last epoch. The metrics are kept first, then the listeners are told, in order.
   *
   * @param earlierMetrics the metrics lines of the rounds before {@code from} (empty unless resumed)
   */
  public TrainState train(RunData data, TrainState from, List<String> earlierMetrics, List<RoundListener> listeners) {
    this.data = data;
    this.metrics = new MetricsLog(earlierMetrics);
    List<RoundListener> all = new ArrayList<>();
    all.add(metrics);
    all.addAll(listeners);
    TrainState start = from == null ? TrainState.start(net.paramsArray(), stateSize) : from;
    return trainer.run(data.train(), data.test() == null ? null : data.test().blocks(), start, (m, state) -> {
      for (RoundListener l : all) {
        l.onRound(m, state);
      }
    });
  }

  /** The rounds so far. */
  public MetricsLog metrics() {
    return metrics;
  }

  /** The model file of {@code state}: architecture, input shape, classes, provenance, weights and optimizer state. */
  public ModelFile model(TrainState state) {
    return new ModelFile(spec, inputShape, normalization, data.train().classNames(), provenance(), optimizer,
        state.steps(), state.params(), state.state());
  }

  /** How the model was made, as far as the run has come: see {@link Provenance}. */
  public Map<String, String> provenance() {
    return Provenance.of(jsc.sc(), net.gemm(), trainer, data, metrics.last(), notes);
  }
}
