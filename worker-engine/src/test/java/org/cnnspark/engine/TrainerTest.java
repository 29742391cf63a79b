package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.cnnspark.engine.io.Idx;
import org.cnnspark.engine.optim.Optimizer;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;

class TrainerTest {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

  static byte[] randomPixels(int n, Shape s, long seed) {
    byte[] p = new byte[n * s.size()];
    new SplittableRandom(seed).nextBytes(p);
    return p;
  }

  static float[] train(int threads, String spec, long seed) {
    Shape s = Shape.parse("1x12x12");
    Network net = Network.create(ModelSpec.parse(spec), s, Init.PYTORCH, seed);
    byte[] px = randomPixels(40, s, 1);
    int[] labels = new int[40];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 10;
    }
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.05, 0.9, false, 0), threads, Normalization.SCALE_ONLY)) {
      for (int step = 0; step < 6; step++) {
        t.trainBatch(px, labels, (step % 2) * 20, 20, step);
      }
      // a batch smaller than the thread count must not reuse stale shard gradients
      t.trainBatch(px, labels, 0, 1, 99);
    }
    return net.paramsArray();
  }

  @Test
  void trainingIsBitIdenticalRunToRunForEachThreadCount() {
    String spec = "conv(4,3,pad=1) relu maxpool(2) flatten dropout(0.2) dense(10)";
    for (int threads : new int[] {1, 2, 3}) {
      assertArrayEquals(train(threads, spec, 5), train(threads, spec, 5), "threads=" + threads);
    }
    assertFalse(java.util.Arrays.equals(train(1, spec, 5), train(1, spec, 6)));
  }

  @Test
  void twoThreadsComputeTheSameStepAsOne() {
    // no dropout and no batch-norm: sharding changes only the summation order
    String spec = "conv(4,3,pad=1) relu maxpool(2) flatten dense(10)";
    float[] one = train(1, spec, 5);
    float[] two = train(2, spec, 5);
    for (int i = 0; i < one.length; i++) {
      assertEquals(one[i], two[i], 1e-4, "parameter " + i);
    }
  }

  @Test
  void optimizersFollowPyTorchsRulesInDouble() {
    SplittableRandom rng = new SplittableRandom(4);
    int n = 37;
    for (OptimizerConfig c : new OptimizerConfig[] {
        OptimizerConfig.sgd(0.1, 0, false, 0), OptimizerConfig.sgd(0.05, 0.9, false, 0.01),
        OptimizerConfig.sgd(0.05, 0.8, true, 0.001), OptimizerConfig.adam(0.01, 0.9, 0.999, 1e-8, 0),
        OptimizerConfig.adam(0.003, 0.8, 0.99, 1e-6, 0.05)}) {
      double[] p = new double[n];
      double[] m = new double[n];
      double[] v = new double[n];
      FloatBuffer params = Buffers.allocate(n);
      for (int i = 0; i < n; i++) {
        p[i] = rng.nextGaussian();
        params.put(i, (float) p[i]);
        p[i] = params.get(i);
      }
      Optimizer opt = c.create(n);
      for (int t = 1; t <= 5; t++) {
        FloatBuffer grads = Buffers.allocate(n);
        for (int i = 0; i < n; i++) {
          float g = (float) rng.nextGaussian();
          grads.put(i, g);
          double gi = g + c.weightDecay() * p[i];
          if (c.type().equals("sgd")) {
            if (c.momentum() > 0) {
              m[i] = t == 1 ? gi : c.momentum() * m[i] + gi; // PyTorch: buf = g on the first step
              gi = c.nesterov() ? gi + c.momentum() * m[i] : m[i];
            }
            p[i] -= c.lr() * gi;
          } else {
            m[i] = c.beta1() * m[i] + (1 - c.beta1()) * gi;
            v[i] = c.beta2() * v[i] + (1 - c.beta2()) * gi * gi;
            double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(c.beta2(), t)) + c.eps();
            p[i] -= c.lr() / (1 - Math.pow(c.beta1(), t)) * m[i] / denom;
          }
        }
        opt.step(params, grads);
      }
      for (int i = 0; i < n; i++) {
        assertEquals(p[i], params.get(i), 2e-5 * Math.max(1, Math.abs(p[i])), c + " parameter " + i);
      }
      assertEquals(5, opt.steps());
    }
  }

  @Test
  void labelsOutsideTheClassesAreRefused() {
    Shape s = Shape.parse("1x6x6");
    Network net = Network.create(ModelSpec.parse("flatten dense(3)"), s, Init.PYTORCH, 1);
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.1, 0, false, 0), 1, Normalization.SCALE_ONLY)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> t.trainBatch(randomPixels(2, s, 1), new int[] {1, 7}, 0, 2, 0));
      assertTrue(e.getMessage().contains("label 7 of example 1 is outside [0, 3)"), e.getMessage());
    }
  }

  /** Real data: 4,000 Fashion-MNIST images, 5 epochs, >= 75% on 1,000 (78.8% here) held-out test images. */
  @Test
  void learnsFashionMnist() throws IOException {
    Path images = FASHION.resolve("train-images-idx3-ubyte.gz");
    assumeTrue(Files.exists(images), "Fashion-MNIST is absent: install it with: apt-get install -y dataset-fashion-mnist");
    Idx.Images train = Idx.readImages(images);
    int[] trainLabels = Idx.readLabels(FASHION.resolve("train-labels-idx1-ubyte.gz"));
    Idx.Images test = Idx.readImages(FASHION.resolve("t10k-images-idx3-ubyte.gz"));
    int[] testLabels = Idx.readLabels(FASHION.resolve("t10k-labels-idx1-ubyte.gz"));
    Network net = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("1x28x28"), Init.PYTORCH, 42);
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.01, 0.9, false, 0), 2, Normalization.SCALE_ONLY)) {
      Trainer.Stats before = t.evaluate(test.pixels(), testLabels, 0, 1000, 250);
      int n = 4000;
      for (int epoch = 0; epoch < 5; epoch++) {
        for (int b = 0; b < n; b += 64) {
          t.trainBatch(train.pixels(), trainLabels, b, Math.min(64, n - b), epoch * 1000L + b);
        }
      }
      Trainer.Stats after = t.evaluate(test.pixels(), testLabels, 0, 1000, 250);
      assertTrue(before.accuracy() < 0.3, "untrained accuracy " + before.accuracy());
      System.out.println("Fashion-MNIST, 4,000 images x 5 epochs: test accuracy " + after.accuracy());
      assertTrue(after.accuracy() >= 0.75, "accuracy after 5 epochs on 4,000 images: " + after.accuracy());
      assertTrue(after.meanLoss() < before.meanLoss() / 2, "loss " + before.meanLoss() + " -> " + after.meanLoss());
    }
  }
}
