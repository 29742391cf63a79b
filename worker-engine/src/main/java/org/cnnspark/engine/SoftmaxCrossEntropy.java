package org.cnnspark.engine;

import java.nio.FloatBuffer;

/**
 * Softmax cross-entropy on logits (N, K) with integer labels, as {@code nn.CrossEntropyLoss()}:
 * loss_i = logsumexp(z_i) - z_i[y_i], the batch loss is their mean, and
 * dz_i = (softmax(z_i) - onehot(y_i)) / N.
 */
public final class SoftmaxCrossEntropy {
  private SoftmaxCrossEntropy() {}

  /** Sum of per-example losses and count of correct argmax predictions. */
  public record Result(double lossSum, int correct) {}

  /**
   * Computes the loss over n examples and writes dLogits scaled by 1/{@code meanOver} (the full
   * batch size, which differs from n when a batch is split across threads).
   */
  public static Result lossAndGrad(FloatBuffer logits, int[] labels, int labelOff, int n, int k,
                                   int meanOver, FloatBuffer dLogits) {
    double lossSum = 0;
    int correct = 0;
    float inv = 1f / meanOver;
    for (int i = 0; i < n; i++) {
      int label = labels[labelOff + i];
      if (label < 0 || label >= k) {
        throw new IllegalArgumentException("label " + label + " of example " + (labelOff + i)
            + " is outside [0, " + k + "): the model has " + k + " outputs");
      }
      int row = i * k;
      int arg = argmax(logits, row, k);
      float max = logits.get(row + arg);
      if (arg == label) {
        correct++;
      }
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += Math.exp(logits.get(row + j) - max);
      }
      double logZ = max + Math.log(sum);
      lossSum += logZ - logits.get(row + label);
      if (dLogits != null) {
        for (int j = 0; j < k; j++) {
          float p = (float) Math.exp(logits.get(row + j) - logZ);
          dLogits.put(row + j, (p - (j == label ? 1f : 0f)) * inv);
        }
      }
    }
    return new Result(lossSum, correct);
  }

  /**
   * The index of the largest of v[off, off + k), the first one on ties (as torch.argmax): the
   * predicted class, here for accuracy and in the driver for predictions.
   */
  public static int argmax(FloatBuffer v, int off, int k) {
    int best = 0;
    for (int c = 1; c < k; c++) {
      if (v.get(off + c) > v.get(off + best)) {
        best = c;
      }
    }
    return best;
  }

  /** Row-wise softmax of logits (N, K) into probs. */
  public static void softmax(FloatBuffer logits, int n, int k, FloatBuffer probs, int probsOff) {
    for (int i = 0; i < n; i++) {
      int row = i * k;
      float max = logits.get(row);
      for (int j = 1; j < k; j++) {
        max = Math.max(max, logits.get(row + j));
      }
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += Math.exp(logits.get(row + j) - max);
      }
      for (int j = 0; j < k; j++) {
        probs.put(probsOff + row + j, (float) (Math.exp(logits.get(row + j) - max) / sum));
      }
    }
  }
}
