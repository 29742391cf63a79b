package org.cnnspark.examples;

import java.nio.file.Path;
import java.util.Map;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.io.Idx;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.StateDict;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * The engine without Spark: train the tutorial CNN on Fashion-MNIST on this machine and export
 * PyTorch-compatible weights. Usage: EngineOnly [DATASET_DIR] [EPOCHS] [OUT.safetensors]
 */
public final class EngineOnly {
  private EngineOnly() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    Path out = Path.of(args.length > 2 ? args[2] : "tutorial-cnn.safetensors");

    // README-SNIPPET-START
    Idx.Images train = Idx.readImages(dir.resolve("train-images-idx3-ubyte.gz"));
    int[] trainLabels = Idx.readLabels(dir.resolve("train-labels-idx1-ubyte.gz"));
    Idx.Images test = Idx.readImages(dir.resolve("t10k-images-idx3-ubyte.gz"));
    int[] testLabels = Idx.readLabels(dir.resolve("t10k-labels-idx1-ubyte.gz"));

    Network net = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("1x28x28"), Init.PYTORCH, 42);
    System.out.print(net.summary());
    OptimizerConfig sgd = OptimizerConfig.sgd(0.01, 0.9, false, 0);
    try (Trainer trainer = new Trainer(net, sgd, 2, Normalization.SCALE_ONLY)) {
      for (int epoch = 1; epoch <= epochs; epoch++) {
        for (int first = 0; first < train.count(); first += 64) {
          int n = Math.min(64, train.count() - first);
          trainer.trainBatch(train.pixels(), trainLabels, first, n, epoch * 1_000_000L + first);
        }
        Trainer.Stats s = trainer.evaluate(test.pixels(), testLabels, 0, test.count(), 500);
        System.out.printf("epoch %d: test accuracy %.2f%%, loss %.4f%n", epoch, 100 * s.accuracy(), s.meanLoss());
      }
    }
    SafeTensors.write(out, StateDict.export(net), Map.of("format", "pt"));
    // README-SNIPPET-END
    System.out.println("wrote " + out + "; check it in PyTorch with examples/python/evaluate_in_pytorch.py");
  }
}
