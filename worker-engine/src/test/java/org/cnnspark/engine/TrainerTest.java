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
  void batchNormAndDropoutModelsAreBitIdenticalWithTwoThreads() {
    // replicas: shared parameters, own dropout masks per shard, running statistics from shard 0 only
    String spec = "conv(4,3,pad=1) batchnorm relu maxpool(2) flatten dropout(0.3) dense(10)";
    float[] first = train(2, spec, 5);
    assertArrayEquals(first, train(2, spec, 5));
    assertFalse(java.util.Arrays.equals(first, train(1, spec, 5)), "a different sharding gives a different (valid) run");
  }

  /** Overfitting 8 images: the loss on that batch falls far below log(10) and every image is learnt. */
  @Test
  void lossFallsWhenOverfittingATinyBatch() {
    Shape s = Shape.parse("1x10x9");
    Network net = Network.create(ModelSpec.parse("conv(6,3,pad=1) relu maxpool(2) flatten dense(16) relu dense(10)"), s, Init.PYTORCH, 3);
    byte[] px = randomPixels(8, s, 2);
    int[] labels = {3, 1, 4, 1, 5, 9, 2, 6};
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.1, 0.9, false, 0), 1, Normalization.SCALE_ONLY)) {
      double first = t.trainBatch(px, labels, 0, 8, 0).meanLoss();
      assertEquals(Math.log(10), first, 0.5, "an untrained 10-class model starts near log(10)");
      double previous = first;
      int rises = 0;
      for (int step = 1; step < 150; step++) {
        double loss = t.trainBatch(px, labels, 0, 8, step).meanLoss();
        rises += loss > previous ? 1 : 0;
        previous = loss;
      }
      Trainer.Stats end = t.evaluate(px, labels, 0, 8, 8);
      assertTrue(end.meanLoss() < 0.05, "loss " + first + " -> " + end.meanLoss());
      assertEquals(8, end.correct(), "all 8 training images classified right");
      assertTrue(rises < 30, "the loss rose on " + rises + " of 150 steps");
    }
  }

  /** The uint8 entry point equals normalising by hand and using the float one; predict agrees with evaluate. */
  @Test
  void pixelAndFloatInputsAndPredictAgree() {
    Shape s = Shape.parse("2x6x5");
    String spec = "conv(3,3,pad=1) relu flatten dense(4)";
    byte[] px = randomPixels(6, s, 9);
    int[] labels = {0, 1, 2, 3, 2, 1};
    Normalization norm = new Normalization(new float[] {0.5f, 0.2f}, new float[] {0.25f, 2f});
    Network a = Network.create(ModelSpec.parse(spec), s, Init.PYTORCH, 1);
    Network b = Network.create(ModelSpec.parse(spec), s, Init.PYTORCH, 1);
    FloatBuffer x = Buffers.allocate(6L * s.size());
    for (int i = 0; i < 6 * s.size(); i++) {
      int c = (i % s.size()) / (s.h() * s.w());
      x.put(i, ((px[i] & 0xff) / 255f - norm.mean()[c]) / norm.std()[c]);
    }
    try (Trainer ta = new Trainer(a, OptimizerConfig.adam(0.01, 0.9, 0.999, 1e-8, 0), 2, norm);
         Trainer tb = new Trainer(b, OptimizerConfig.adam(0.01, 0.9, 0.999, 1e-8, 0), 2, norm)) {
      for (int step = 0; step < 3; step++) {
        Trainer.Stats sa = ta.trainBatch(px, labels, 0, 6, step);
        Trainer.Stats sb = tb.trainBatch(x, labels, 6, step);
        assertEquals(sa, sb, "step " + step);
      }
      assertArrayEquals(a.paramsArray(), b.paramsArray());
      float[] probs = new float[6 * 4];
      ta.predict(px, 0, 6, 4, probs);
      Trainer.Stats eval = ta.evaluate(px, labels, 0, 6, 4);
      int correct = 0;
      double loss = 0;
      for (int i = 0; i < 6; i++) {
        int arg = 0;
        double sum = 0;
        for (int j = 0; j < 4; j++) {
          sum += probs[i * 4 + j];
          arg = probs[i * 4 + j] > probs[i * 4 + arg] ? j : arg;
        }
        assertEquals(1.0, sum, 1e-5, "probabilities of image " + i);
        correct += arg == labels[i] ? 1 : 0;
        loss -= Math.log(probs[i * 4 + labels[i]]);
      }
      assertEquals(correct, eval.correct());
      assertEquals(loss, eval.lossSum(), 1e-4);
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
