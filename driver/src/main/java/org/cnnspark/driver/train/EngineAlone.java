package org.cnnspark.driver.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.io.Idx;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * The engine training alone (no Spark) on the minibatch order and learning rates that
 * {@code train --workers 1} uses: the reference for the Spark overhead benchmark
 * (bench/spark-overhead.sh) and, with one thread, bit-identical to a one-worker Spark run with the
 * same seed and learning-rate schedule.
 *
 * <p>Usage: {@code EngineAlone IMAGES.idx3[.gz] LABELS.idx1[.gz] EPOCHS THREADS [BATCH [LR [SEED [ARCH]]]] [OPTIONS]},
 * OPTIONS being train's learning-rate options ({@code --lr-schedule}, {@code --lr-milestones},
 * {@code --lr-gamma}, {@code --lr-min}, {@code --warmup-epochs}, {@code --lr-scaling},
 * {@code --max-lr-scale}; one worker: scaling and warm-up leave the rate as it is);
 * prints one JSON line per epoch: epoch, seconds, images_per_s, loss, train_accuracy.
 */
public final class EngineAlone {
  private static final List<String> OPTIONS = List.of("--lr-schedule", "--lr-milestones", "--lr-gamma", "--lr-min",
      "--warmup-epochs", "--lr-scaling", "--max-lr-scale");

  private EngineAlone() {}

  public static void main(String[] args) throws Exception {
    int positional = 0;
    while (positional < args.length && !args[positional].startsWith("--")) {
      positional++;
    }
    Map<String, String> opts = new HashMap<>();
    for (int i = positional; i < args.length; i += 2) {
      if (!OPTIONS.contains(args[i]) || i + 1 == args.length) {
        positional = 0; // unknown option or no value: print the usage
        break;
      }
      opts.put(args[i], args[i + 1]);
    }
    if (positional < 4) {
      System.err.println("usage: EngineAlone IMAGES LABELS EPOCHS THREADS [BATCH [LR [SEED [ARCH]]]] [" + String.join(" V] [",
          OPTIONS) + " V]");
      System.exit(2);
    }
    Idx.Images images = Idx.readImages(Path.of(args[0]));
    int[] labels = Idx.readLabels(Path.of(args[1]));
    int epochs = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    int batch = positional > 4 ? Integer.parseInt(args[4]) : 64;
    double lr = positional > 5 ? Double.parseDouble(args[5]) : 0.01;
    long seed = positional > 6 ? Long.parseLong(args[6]) : 1;
    ModelSpec spec = ModelSpec.parse(positional > 7 ? args[7] : "tutorial-cnn");
    LearningRate rate = LearningRate.of(opts.getOrDefault("--lr-schedule", LrSchedules.CONSTANT.name()),
        LearningRate.parseMilestones(opts.get("--lr-milestones")),
        Double.parseDouble(opts.getOrDefault("--lr-gamma", Double.toString(LearningRate.GAMMA))),
        Double.parseDouble(opts.getOrDefault("--lr-min", "0")),
        Double.parseDouble(opts.getOrDefault("--warmup-epochs", "0")),
        opts.getOrDefault("--lr-scaling", LrSchedules.NONE.name()),
        Double.parseDouble(opts.getOrDefault("--max-lr-scale", Double.toString(LearningRate.MAX_SCALE))));
    TrainConfig cfg = TrainConfig.defaults().epochs(epochs).batchSize(batch).seed(seed).learningRate(rate);
    Shape shape = new Shape(1, images.rows(), images.cols());
    Network net = Network.create(spec, shape, Init.PYTORCH, seed);
    int n = images.count();
    ObjectMapper json = new ObjectMapper();
    try (Trainer trainer = new Trainer(net, OptimizerConfig.sgd(lr, 0.9, false, 0), threads, Normalization.SCALE_ONLY)) {
      for (int epoch = 0; epoch < epochs; epoch++) {
        long start = System.nanoTime();
        Trainer.Stats total = epoch(trainer, images.pixels(), labels, n, cfg, epoch);
        double seconds = (System.nanoTime() - start) / 1e9;
        ObjectNode o = json.createObjectNode();
        o.put("epoch", epoch + 1);
        o.put("seconds", seconds);
        o.put("images_per_s", n / seconds);
        o.put("loss", total.meanLoss());
        o.put("train_accuracy", total.accuracy());
        o.put("threads", threads);
        System.out.println(o);
      }
    }
  }

  /**
   * One epoch of the first {@code n} records as the only partition of one worker: {@code cfg}'s
   * record order, minibatches, step seeds and learning rate of each step (one worker, so any
   * number of rounds per epoch gives these bits).
   */
  public static Trainer.Stats epoch(Trainer trainer, byte[] pixels, int[] labels, int n, TrainConfig cfg, int epoch) {
    int size = trainer.network().inputShape().size();
    int batch = cfg.batchSize();
    byte[] px = new byte[batch * size];
    int[] lab = new int[batch];
    double base = trainer.optimizer().config().lr();
    int[] order = EpochOrder.order(cfg.seed(), epoch, 0, n, cfg.shuffle());
    int batches = EpochOrder.batches(n, batch);
    Trainer.Stats total = Trainer.Stats.ZERO;
    for (int b = 0; b < batches; b++) {
      int from = b * batch;
      int m = Math.min(batch, n - from);
      for (int i = 0; i < m; i++) {
        int r = order[from + i];
        System.arraycopy(pixels, r * size, px, i * size, size);
        lab[i] = labels[r];
      }
      trainer.optimizer().setLr(cfg.lr(base, epoch + (double) b / batches, 1));
      total = total.plus(trainer.trainBatch(px, lab, 0, m, EpochOrder.stepSeed(cfg.seed(), epoch, 0, b)));
    }
    return total;
  }
}
