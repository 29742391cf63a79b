package org.cnnspark.driver.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.io.Idx;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * The engine training alone (no Spark) on the minibatch order that {@code train --workers 1}
 * uses: the reference for the Spark overhead benchmark (bench/spark-overhead.sh) and, with
 * one thread, bit-identical to a one-worker Spark run with the same seed.
 *
 * <p>Usage: {@code EngineAlone IMAGES.idx3[.gz] LABELS.idx1[.gz] EPOCHS THREADS [BATCH [LR [SEED [ARCH]]]]};
 * prints one JSON line per epoch: epoch, seconds, images_per_s, loss, train_accuracy.
 */
public final class EngineAlone {
  private EngineAlone() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: EngineAlone IMAGES LABELS EPOCHS THREADS [BATCH [LR [SEED [ARCH]]]]");
      System.exit(2);
    }
    Idx.Images images = Idx.readImages(Path.of(args[0]));
    int[] labels = Idx.readLabels(Path.of(args[1]));
    int epochs = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    int batch = args.length > 4 ? Integer.parseInt(args[4]) : 64;
    double lr = args.length > 5 ? Double.parseDouble(args[5]) : 0.01;
    long seed = args.length > 6 ? Long.parseLong(args[6]) : 1;
    ModelSpec spec = ModelSpec.parse(args.length > 7 ? args[7] : "tutorial-cnn");
    Shape shape = new Shape(1, images.rows(), images.cols());
    Network net = Network.create(spec, shape, Init.PYTORCH, seed);
    int n = images.count();
    int size = shape.size();
    ObjectMapper json = new ObjectMapper();
    try (Trainer trainer = new Trainer(net, OptimizerConfig.sgd(lr, 0.9, false, 0), threads, Normalization.SCALE_ONLY)) {
      byte[] px = new byte[batch * size];
      int[] lab = new int[batch];
      for (int epoch = 0; epoch < epochs; epoch++) {
        long start = System.nanoTime();
        int[] order = EpochOrder.order(seed, epoch, 0, n, true);
        Trainer.Stats total = Trainer.Stats.ZERO;
        for (int b = 0; b < EpochOrder.batches(n, batch); b++) {
          int from = b * batch;
          int m = Math.min(batch, n - from);
          for (int i = 0; i < m; i++) {
            int r = order[from + i];
            System.arraycopy(images.pixels(), r * size, px, i * size, size);
            lab[i] = labels[r];
          }
          total = total.plus(trainer.trainBatch(px, lab, 0, m, EpochOrder.stepSeed(seed, epoch, 0, b)));
        }
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
}
