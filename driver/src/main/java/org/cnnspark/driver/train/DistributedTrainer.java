package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.cnnspark.driver.data.Chunks;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.spark.JobNames;
import org.cnnspark.driver.spark.SparkErrors;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.ParamView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous data-parallel training over cached image blocks. Each round: broadcast the flat
 * parameters and optimizer state; every partition trains its share of the round
 * ({@link RoundTask}); the per-partition results are summed in partition order, weighted by
 * example count, and averaged: on the driver ({@link ParamSum}), or in shards on the executors
 * through Spark's shuffle ({@link ShardReduce}) when they are large ({@link ReduceMode}), with the
 * same bits; the next round starts from the average, or from an outer step on it ({@link
 * OuterSgd}, whose momentum buffer the driver keeps in the {@link TrainState}). The data's
 * partitions are the workers: W partitions train in parallel as far as the cluster has task slots.
 *
 * <p>Call order: construct, then {@link #run} (any number of times, e.g. to continue from a saved
 * {@link TrainState}) and {@link #evaluate}. Not thread-safe.
 */
public final class DistributedTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  /** Images per engine call when scoring. */
  public static final int EVAL_BATCH = 256;

  private final JavaSparkContext jsc;
  private final EngineSpec engine;
  private final TrainConfig config;
  private final ReduceMode reduce;
  /** Tests only: results carry frozen values too, as before {@link LiveValues}, to compare the bits. */
  static boolean sendFrozen;
  private final Set<String> executorKernels = new TreeSet<>();

  /** Reduces as the Spark setting {@value ReduceMode#CONF} says (default auto). */
  public DistributedTrainer(JavaSparkContext jsc, EngineSpec engine, TrainConfig config) {
    this(jsc, engine, config, ReduceMode.parse(jsc.getConf().get(ReduceMode.CONF, "auto"), ReduceMode.CONF));
  }

  /** @param reduce where the round's results are summed; the bits are the same either way */
  public DistributedTrainer(JavaSparkContext jsc, EngineSpec engine, TrainConfig config, ReduceMode reduce) {
    this.jsc = jsc;
    this.engine = engine;
    this.config = config;
    this.reduce = reduce;
  }

  /** Classes that Kryo must know (spark.kryo.registrationRequired=true) to train and score. */
  public static List<Class<?>> kryoClasses() {
    return List.of(PartitionResult.class, PartitionResult[].class, float[].class, float[][].class, RoundSummary.class,
        RoundSummary[].class, RoundPiece.class, ReducedShard.class, ReducedShard[].class);
  }

  /**
   * Every round collects W partition results of (parameters + optimizer state) floats each; Spark
   * aborts a job whose results exceed spark.driver.maxResultSize (default 1g). Refused up front,
   * with the value to set, rather than after the first round's work.
   */
  public static void checkResultSize(SparkConf conf, int partitions, long floatsPerResult) {
    long limit = conf.getSizeAsBytes("spark.driver.maxResultSize", "1g");
    long needed = partitions * (4 * floatsPerResult + (1 << 16));
    if (limit > 0 && needed > limit) {
      throw new IllegalArgumentException(String.format("each round collects %d partition results of %,d bytes (parameters"
          + " and optimizer state), %,d bytes in all, more than spark.driver.maxResultSize (%,d bytes): set"
          + " spark.driver.maxResultSize=%dm or 0 (no limit), and give the driver the memory (docs/operations.md: memory per round), or use"
          + " fewer workers", partitions, 4 * floatsPerResult, needed, limit, (needed >> 20) + 1));
    }
  }

  /** The network's {@code outputs} must cover the data's labels (and match named classes exactly). */
  public static void checkClasses(LoadedData data, int outputs, String name) {
    if (!data.classNames().isEmpty() && data.classNames().size() != outputs) {
      throw new IllegalArgumentException(name + " has " + data.classNames().size() + " classes " + data.classNames()
          + " but the architecture has " + outputs + " outputs: make its last layer dense(" + data.classNames().size() + ")");
    }
    if (data.numClasses() > outputs) {
      throw new IllegalArgumentException(name + " has labels up to " + (data.numClasses() - 1) + " but the architecture has "
          + outputs + " outputs: make its last layer dense(" + data.numClasses() + ") or check the labels");
    }
  }

  public TrainConfig config() {
    return config;
  }

  public EngineSpec engine() {
    return engine;
  }

  /** Kernel backends the executors reported so far (normally one). */
  public Set<String> executorKernels() {
    return executorKernels;
  }

  /**
   * Runs the rounds from {@code from} to the end of the last epoch and returns the final state.
   *
   * @param test scored after each epoch (or each round, see {@link TrainConfig#evalEveryRound()}); may be null
   */
  public TrainState run(JavaRDD<ImageBlock> train, JavaRDD<ImageBlock> test, TrainState from, RoundListener listener) {
    if (config.shuffleBuffer() > 0) {
      throw new IllegalArgumentException("a shuffle buffer needs the training data loaded in chunks: load it with "
          + "DataOptions.withShuffleBuffer and train on the LoadedData");
    }
    return run(new RoundData(train, null, train.getNumPartitions()), test, from, listener);
  }

  /**
   * As {@link #run(JavaRDD, JavaRDD, TrainState, RoundListener)}, for data that may be kept in
   * chunks: with a shuffle buffer each round streams the chunks its minibatches need; without one,
   * each worker reads all its chunks in order, as one partition.
   */
  public TrainState run(LoadedData train, JavaRDD<ImageBlock> test, TrainState from, RoundListener listener) {
    if (train.chunks() == null) {
      return run(train.blocks(), test, from, listener);
    }
    return run(new RoundData(null, train, train.partitions()), test, from, listener);
  }

  /** The training data of each round: the same partitions, or a view of the round's chunks. */
  private final class RoundData {
    private final JavaRDD<ImageBlock> whole;
    private final LoadedData chunked;
    final int workers;

    RoundData(JavaRDD<ImageBlock> whole, LoadedData chunked, int workers) {
      this.whole = whole;
      this.chunked = chunked;
      this.workers = workers;
    }

    /** The chunks the tasks stream; null when each partition is a worker's whole data. */
    Chunks streamed() {
      return chunked != null && config.shuffleBuffer() > 0 ? chunked.chunks() : null;
    }

    JavaRDD<ImageBlock> round(int epoch, int round) {
      if (chunked == null) {
        return whole;
      }
      Chunks chunks = chunked.chunks();
      int[][] order = new int[workers][];
      for (int p = 0; p < workers; p++) {
        if (config.shuffleBuffer() == 0) {
          order[p] = java.util.stream.IntStream.range(0, chunks.chunks(p)).toArray();
          continue;
        }
        StreamOrder o = new StreamOrder(chunks, config.shuffleBuffer(), config.seed(), epoch, p, config.shuffle());
        int batches = EpochOrder.batches((int) o.records(), config.batchSize());
        int k = config.roundsInEpoch(epoch);
        long first = (long) EpochOrder.firstBatch(batches, round, k) * config.batchSize();
        long end = Math.min(o.records(), (long) EpochOrder.firstBatch(batches, round + 1, k) * config.batchSize());
        order[p] = first >= end ? new int[0] : o.chunksOf(o.windowOf(first), o.windowOf(end - 1));
      }
      return chunked.workerView(order);
    }
  }

  private TrainState run(RoundData data, JavaRDD<ImageBlock> test, TrainState from, RoundListener listener) {
    int workers = data.workers;
    Chunks streamed = data.streamed();
    long resultFloats = from.params().length + (long) from.state().length;
    boolean sharded = reduce.sharded(workers, 4 * resultFloats);
    double base = engine.optimizerConfig().lr();
    OuterSgd outer = config.outer().settings(workers);
    int trainable = outer.isAverage() ? 0 : engine.trainableSize();
    TrainState state = withOuterState(from, outer.stateSize(trainable));
    LiveValues live = sendFrozen ? LiveValues.all(from.params().length, engine.trainableSize(), from.state().length)
        : engine.liveValues(from.params().length, from.state().length);
    checkResultSize(jsc.getConf(), sharded ? 1 : workers, resultFloats + (sharded ? state.outer().length : 0));
    MemoryCheck.check(jsc.getConf(), from.params().length, from.state().length, state.outer().length, workers, sharded,
        maxShardFloats());
    LOG.info("{} workers, {} bytes of parameters and optimizer state each: results {}", workers, 4 * resultFloats,
        sharded ? "summed on the executors through Spark's shuffle" : "summed on the driver");
    long epochExamples = 0;
    while (state.epoch() < config.epochs()) {
      int epoch = state.epoch();
      int round = state.round();
      int k = config.roundsInEpoch(epoch);
      long start = System.nanoTime();
      TrainState before = state;
      JavaRDD<ImageBlock> train = data.round(epoch, round);
      RoundOutcome out = sharded
          ? shuffleRound(train, streamed, before, workers, outer, live, roundName(epoch, round, k))
          : named(roundName(epoch, round, k) + ": train",
              () -> collectRound(train, streamed, before, workers, outer, live));
      double seconds = (System.nanoTime() - start) / 1e9;
      int nextRound = round + 1 == k ? 0 : round + 1;
      int nextEpoch = round + 1 == k ? epoch + 1 : epoch;
      long steps = config.resetOptimizerState() ? out.totals().maxSteps() : state.steps() + out.totals().maxSteps();
      TrainState next = new TrainState(nextEpoch, nextRound, out.params(), out.state(), steps, out.outer());
      double testLoss = Double.NaN;
      double testAcc = Double.NaN;
      long testN = 0;
      double evalSeconds = 0;
      if (test != null && (config.evalEveryRound() || nextRound == 0)) {
        long t0 = System.nanoTime();
        Evaluation e = evaluate(test, next.params(), roundName(epoch, round, k) + ": evaluate");
        evalSeconds = (System.nanoTime() - t0) / 1e9;
        testLoss = e.loss();
        testAcc = e.accuracy();
        testN = e.count();
      }
      RoundMetrics m = new RoundMetrics(epoch + 1, round + 1, k, out.totals().count(),
          out.totals().count() == 0 ? Double.NaN : out.totals().lossSum() / out.totals().count(),
          out.totals().count() == 0 ? Double.NaN : (double) out.totals().correct() / out.totals().count(), testLoss, testAcc, testN, seconds,
          out.totals().taskSeconds(), evalSeconds, config.lr(base, epoch + (double) round / k, workers),
          out.totals().fetchSeconds(), out.reduceSeconds(), out.driverSeconds());
      state = next;
      epochExamples = round == 0 ? out.totals().count() : epochExamples + out.totals().count();
      // A round in which no partition had a minibatch (more rounds than minibatches: small data)
      // changed nothing: no progress line, metrics or checkpoint for it. The epoch's last round
      // always has one when the epoch has any, and is reported either way.
      if (out.totals().count() == 0 && nextRound == 0 && epochExamples == 0) {
        LOG.warn("epoch {}: no partition had training examples", epoch + 1);
      }
      if (listener != null && (out.totals().count() > 0 || nextRound == 0)) {
        listener.onRound(m, state);
      }
    }
    return state;
  }

  /**
   * {@code from} with an outer momentum buffer of {@code size} floats: a zero one at the start (and
   * from a checkpoint of a build before outer rules, which never has momentum), else its own.
   */
  private static TrainState withOuterState(TrainState from, int size) {
    if (from.outer().length == size) {
      return from;
    }
    if (from.outer().length == 0) {
      return new TrainState(from.epoch(), from.round(), from.params(), from.state(), from.steps(), new float[size]);
    }
    throw new IllegalArgumentException("the saved outer state holds " + from.outer().length + " values; this run's outer "
        + "rule needs " + size + ": it is not from this run's architecture and outer options");
  }

  /**
   * A round's examples, loss sum, correct count, most steps of a partition, longest task in the
   * engine and longest wait of a task for the broadcast, in seconds.
   */
  private record Totals(long count, double lossSum, long correct, long maxSteps, double taskSeconds,
      double fetchSeconds) {}

  /**
   * A round's totals and the state it leads to (the previous state's values when it had no
   * examples); the longest reduce task (0 when the driver sums) and the driver's own seconds
   * outside Spark's jobs (broadcasting, summing or assembling the result).
   */
  private record RoundOutcome(Totals totals, float[] params, float[] state, float[] outer, double reduceSeconds,
      double driverSeconds) {}

  /** "cnn-spark epoch 3 round 2/4" (1-based), the name of the round's jobs in Spark's UI. */
  static String roundName(int epoch, int round, int rounds) {
    return "cnn-spark epoch " + (epoch + 1) + " round " + (round + 1) + "/" + rounds;
  }

  private <T> T named(String name, Supplier<T> job) {
    return JobNames.named(jsc, name, job);
  }

  private long maxShardFloats() {
    return jsc.getConf().getLong(ShardLayout.MAX_FLOATS_CONF, ShardLayout.MAX_FLOATS);
  }

  /** A new task each round: a stage's accumulators in Spark's UI show that round's totals. */
  private RoundTask task(TrainState state, int workers, Chunks streamed, Broadcast<float[]> params,
      Broadcast<float[]> optState, LiveValues live) {
    return new RoundTask(engine, config, params, optState, state.steps(), state.epoch(), state.round(), workers,
        jsc.sc().longAccumulator("cnn-spark examples"), jsc.sc().doubleAccumulator("cnn-spark loss sum"),
        jsc.sc().longAccumulator("cnn-spark correct"), streamed, live.isAll() ? null : live);
  }

  /** Every partition's result comes to the driver, which sums them ({@link ParamSum}). */
  private RoundOutcome collectRound(JavaRDD<ImageBlock> train, Chunks streamed, TrainState state, int workers,
      OuterSgd outer, LiveValues live) {
    long t0 = System.nanoTime();
    Broadcast<float[]> params = jsc.broadcast(state.params());
    Broadcast<float[]> optState = config.resetOptimizerState() ? null : jsc.broadcast(state.state());
    try {
      long t1 = System.nanoTime();
      List<PartitionResult> results = SparkErrors.collect(train.mapPartitionsWithIndex(
          task(state, workers, streamed, params, optState, live), true));
      long t2 = System.nanoTime();
      ParamSum sum = new ParamSum(live.params(), live.state());
      List<RoundSummary> summaries = new ArrayList<>();
      // collect() returns partition 0's result first, whatever order the tasks finished in
      for (PartitionResult r : results) {
        summaries.add(new RoundSummary(r));
      }
      checkSummaries(state, summaries);
      for (PartitionResult r : results) {
        sum.add(r);
      }
      float[] start = live.packParams(state.params());
      float[] next;
      float[] outerState = state.outer();
      if (outer.isAverage() || sum.count() == 0) { // today's rounds, bit for bit
        next = sum.averageParams(start);
      } else {
        OuterSgd.Step step = outer.step(start, sum, live.packOuter(state.outer()), live.trainable());
        next = step.params();
        outerState = live.unpackOuter(step.buffer(), state.outer().length);
      }
      next = live.unpackParams(next, state.params());
      float[] nextState = live.unpackState(sum.averageState(live.packState(state.state())), state.state());
      return new RoundOutcome(totals(summaries), next, nextState, outerState, 0,
          ((t1 - t0) + (System.nanoTime() - t2)) / 1e9);
    } finally {
      params.destroy();
      if (optState != null) {
        optState.destroy();
      }
    }
  }

  /**
   * The partitions' results go through Spark's shuffle in {@link ShardLayout} pieces, one reduce
   * task per shard ({@link ShardReduce}); the driver receives the new vector once and every
   * partition's summary. One job of two stages, named "...: train" and "...: reduce" in the UI.
   */
  private RoundOutcome shuffleRound(JavaRDD<ImageBlock> train, Chunks streamed, TrainState state, int workers,
      OuterSgd outer, LiveValues live, String name) {
    long t0 = System.nanoTime();
    int p = live.params();
    ShardLayout layout = ShardLayout.of(p, live.state(), workers, maxShardFloats());
    Broadcast<float[]> params = jsc.broadcast(state.params());
    Broadcast<float[]> optState = config.resetOptimizerState() ? null : jsc.broadcast(state.state());
    // the reducers work on live values only: the outer step's start and buffer, packed
    Broadcast<float[]> start = live.isAll() || outer.isAverage() ? params : jsc.broadcast(live.packParams(state.params()));
    Broadcast<float[]> outerBuffer = state.outer().length == 0 ? null : jsc.broadcast(live.packOuter(state.outer()));
    try {
      long t1 = System.nanoTime();
      JavaPairRDD<Integer, RoundPiece> pieces = named(name + ": train", () -> train.mapPartitionsWithIndex(
          task(state, workers, streamed, params, optState, live), true).flatMapToPair(new ShardSplit(layout)));
      ShardReduce reduce = new ShardReduce(layout, workers, start, outerBuffer, outer, live.trainable());
      List<ReducedShard> shards = named(name + ": reduce", () -> SparkErrors.collect(
          pieces.partitionBy(new HashPartitioner(layout.shards())).mapPartitionsWithIndex(reduce, true)));
      long t2 = System.nanoTime();
      double reduceSeconds = shards.stream().mapToDouble(ReducedShard::seconds).max().orElse(0);
      List<RoundSummary> summaries = List.of(shards.get(0).summaries());
      checkSummaries(state, summaries);
      Totals totals = totals(summaries);
      if (totals.count() == 0) {
        return new RoundOutcome(totals, state.params().clone(), state.state().clone(), state.outer(), reduceSeconds,
            ((t1 - t0) + (System.nanoTime() - t2)) / 1e9);
      }
      float[] next = new float[p];
      float[] nextState = new float[live.state()];
      boolean momentum = !outer.isAverage() && state.outer().length > 0;
      float[] nextOuter = momentum ? new float[live.trainable()] : state.outer();
      for (ReducedShard s : shards) { // collect() returns them in shard order
        int from = layout.from(s.shard());
        float[] v = s.values();
        int inParams = Math.max(0, Math.min(v.length, p - from));
        if (inParams > 0) {
          System.arraycopy(v, 0, next, from, inParams);
        }
        if (inParams < v.length) {
          System.arraycopy(v, inParams, nextState, Math.max(0, from - p), v.length - inParams);
        }
        if (s.outer().length > 0) {
          System.arraycopy(s.outer(), 0, nextOuter, from, s.outer().length);
        }
      }
      if (momentum) {
        nextOuter = live.unpackOuter(nextOuter, state.outer().length);
      }
      return new RoundOutcome(totals, live.unpackParams(next, state.params()),
          live.unpackState(nextState, state.state()), nextOuter, reduceSeconds,
          ((t1 - t0) + (System.nanoTime() - t2)) / 1e9);
    } finally {
      params.destroy();
      if (start != params) {
        start.destroy();
      }
      if (optState != null) {
        optState.destroy();
      }
      if (outerBuffer != null) {
        outerBuffer.destroy();
      }
    }
  }

  /** The round's totals from the partitions' summaries, in partition order; notes the executors' kernels. */
  private Totals totals(List<RoundSummary> summaries) {
    long count = 0;
    double lossSum = 0;
    long correct = 0;
    long maxSteps = 0;
    double seconds = 0;
    double fetch = 0;
    for (RoundSummary s : summaries) {
      if (s.kernels() != null) {
        executorKernels.add(s.kernels());
      }
      seconds = Math.max(seconds, s.seconds());
      fetch = Math.max(fetch, s.fetchSeconds());
      if (s.count() > 0) {
        count += s.count();
        lossSum += s.lossSum();
        correct += s.correct();
        maxSteps = Math.max(maxSteps, s.steps());
      }
    }
    return new Totals(count, lossSum, correct, maxSteps, seconds, fetch);
  }

  /**
   * A partition whose loss, parameters or optimizer state hold NaN or Inf would poison the average
   * (and every round after it), so the run stops before averaging, naming where it happened. The
   * average of finite floats is finite (a weighted mean stays within their range), so checking the
   * partitions covers the averaged parameters too.
   */
  private void checkSummaries(TrainState state, List<RoundSummary> summaries) {
    for (RoundSummary r : summaries) {
      String what = switch (r.badKind()) {
        case RoundSummary.LOSS -> "the loss of partition " + r.partition() + " is " + r.lossSum();
        case RoundSummary.PARAM -> "parameter " + paramName(r.badIndex()) + " of partition " + r.partition() + " is "
            + (float) r.badValue();
        case RoundSummary.STATE -> "optimizer state value " + r.badIndex() + " of partition " + r.partition() + " is "
            + (float) r.badValue();
        default -> null;
      };
      if (what != null) {
        throw new TrainingDivergedException("training diverged in epoch " + (state.epoch() + 1) + ", round "
            + (state.round() + 1) + ": " + what + "; the parameters of the previous round are kept. Lower the "
            + "learning rate (--lr) or check the data for broken records");
      }
    }
  }

  /** "fc1.weight[17]" for flat index i (only on the error path: it builds a network). */
  private String paramName(int i) {
    for (ParamView v : Network.create(engine.spec(), engine.inputShape(), Init.PYTORCH, 0).views()) {
      if (i >= v.offset() && i < v.offset() + v.size()) {
        return v.name() + "[" + (i - v.offset()) + "]";
      }
    }
    return Integer.toString(i);
  }

  /** Loss, accuracy and count of a labelled dataset under the given parameters. */
  public record Evaluation(double loss, double accuracy, long count) {}

  public Evaluation evaluate(JavaRDD<ImageBlock> data, float[] params) {
    return evaluate(data, params, "cnn-spark: evaluate");
  }

  private Evaluation evaluate(JavaRDD<ImageBlock> data, float[] params, String name) {
    Broadcast<float[]> bc = jsc.broadcast(params);
    try {
      List<PartitionResult> results = named(name, () -> SparkErrors.collect(
          data.mapPartitionsWithIndex(new EvalTask(engine, bc, EVAL_BATCH), true)));
      double loss = 0;
      long correct = 0;
      long n = 0;
      for (PartitionResult r : results) { // partition order: same bits every time
        loss += r.lossSum();
        correct += r.correct();
        n += r.count();
      }
      return new Evaluation(n == 0 ? Double.NaN : loss / n, n == 0 ? Double.NaN : (double) correct / n, n);
    } finally {
      bc.destroy();
    }
  }
}
