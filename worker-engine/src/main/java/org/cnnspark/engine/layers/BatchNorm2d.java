package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.ArrayOps;

/**
 * Batch normalisation over (N, H, W) per channel, as {@code nn.BatchNorm2d(C)} (eps 1e-5,
 * momentum 0.1). x and y are (N, C, H, W); weight, bias, running_mean, running_var are (C).
 * Training normalises with the batch mean and biased variance and moves the running statistics
 * towards the batch mean and unbiased variance; eval uses the running statistics.
 * Statistics are summed in double so they do not depend on the batch size's rounding.
 */
public final class BatchNorm2d extends Layer {
  private final double eps;
  private final double momentum;
  /** Where each tensor starts in params (and grads, for the trainable weight and bias). */
  private int weight;
  private int bias;
  private int runningMean;
  private int runningVar;
  private int batchesTracked;
  private float[] mean;
  private float[] invStd;
  private boolean lastTraining;
  private boolean trackRunningStats = true;
  private float[] xt;
  private float[] dyt;

  public BatchNorm2d(double eps, double momentum) {
    if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("batchnorm needs eps>0 and momentum in [0,1]; got eps=" + eps + ", momentum=" + momentum);
    }
    this.eps = eps;
    this.momentum = momentum;
  }

  /**
   * Off for the extra replicas of a multi-threaded trainer: they share the parameter buffer, so
   * only the first shard's replica moves the running statistics (like DDP without SyncBatchNorm).
   */
  public void trackRunningStats(boolean on) {
    trackRunningStats = on;
  }

  @Override
  public String spec() {
    return "batchnorm" + (eps == 1e-5 && momentum == 0.1 ? "" : "(eps=" + eps + ",momentum=" + momentum + ")");
  }

  @Override
  public String family() {
    return "bn";
  }

  @Override
  public Shape outputShape(Shape in) {
    return in;
  }

  @Override
  public List<ParamDef> params(Shape in) {
    int[] c = {in.c()};
    return List.of(
        new ParamDef("weight", c, true, ParamDef.Init.ONES, 0, 0),
        new ParamDef("bias", c, true, ParamDef.Init.ZEROS, 0, 0),
        new ParamDef("running_mean", c, false, ParamDef.Init.ZEROS, 0, 0),
        new ParamDef("running_var", c, false, ParamDef.Init.ONES, 0, 0),
        // PyTorch keeps an int64 count; a float holds it exactly up to 2^24 batches
        new ParamDef("num_batches_tracked", new int[0], false, ParamDef.Init.ZEROS, 0, 0));
  }

  @Override
  protected void bound(Map<String, Integer> offsets) {
    weight = offsets.get("weight");
    bias = offsets.get("bias");
    runningMean = offsets.get("running_mean");
    runningVar = offsets.get("running_var");
    batchesTracked = offsets.get("num_batches_tracked");
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    this.x = x;
    lastTraining = training;
    FloatBuffer y = outBuffer(n);
    int c = in.c();
    int hw = in.h() * in.w();
    int m = n * hw;
    if (mean == null) {
      mean = new float[c];
      invStd = new float[c];
    }
    xt = tile(xt, hw);
    for (int ch = 0; ch < c; ch++) {
      float mu;
      float var;
      if (training) {
        double s = 0;
        for (int img = 0; img < n; img++) {
          x.get((img * c + ch) * hw, xt, 0, hw);
          s += ArrayOps.sumInDouble(xt, hw);
        }
        double dm = s / m;
        double ss = 0;
        for (int img = 0; img < n; img++) {
          x.get((img * c + ch) * hw, xt, 0, hw);
          ss += ArrayOps.sumSquaredDeviations(xt, hw, dm);
        }
        mu = (float) dm;
        var = (float) (ss / m);
        double unbiased = m > 1 ? ss / (m - 1) : ss;
        if (trackRunningStats) {
          params.put(runningMean + ch, (float) ((1 - momentum) * params.get(runningMean + ch) + momentum * dm));
          params.put(runningVar + ch, (float) ((1 - momentum) * params.get(runningVar + ch) + momentum * unbiased));
        }
      } else {
        mu = params.get(runningMean + ch);
        var = params.get(runningVar + ch);
      }
      float is = (float) (1.0 / Math.sqrt(var + eps));
      mean[ch] = mu;
      invStd[ch] = is;
      float g = params.get(weight + ch);
      float b = params.get(bias + ch);
      for (int img = 0; img < n; img++) {
        int base = (img * c + ch) * hw;
        x.get(base, xt, 0, hw);
        for (int k = 0; k < hw; k++) {
          xt[k] = (xt[k] - mu) * is * g + b;
        }
        y.put(base, xt, 0, hw);
      }
    }
    if (training && trackRunningStats) {
      params.put(batchesTracked, params.get(batchesTracked) + 1f);
    }
    return y;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    int c = in.c();
    int hw = in.h() * in.w();
    int m = n * hw;
    FloatBuffer dx = needDx ? dxBuffer(n) : null;
    xt = tile(xt, hw);
    dyt = tile(dyt, hw);
    for (int ch = 0; ch < c; ch++) {
      float mu = mean[ch];
      float is = invStd[ch];
      // dgamma = sum(dy * xhat), dbeta = sum(dy)
      double sdy = 0;
      double sdyx = 0;
      for (int img = 0; img < n; img++) {
        int base = (img * c + ch) * hw;
        x.get(base, xt, 0, hw);
        dy.get(base, dyt, 0, hw);
        sdy += ArrayOps.sumInDouble(dyt, hw);
        sdyx += ArrayOps.sumTimesNormalized(dyt, xt, hw, mu, is);
      }
      grads.put(weight + ch, grads.get(weight + ch) + (float) sdyx);
      grads.put(bias + ch, grads.get(bias + ch) + (float) sdy);
      if (!needDx) {
        continue;
      }
      float g = params.get(weight + ch);
      // training: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat));
      // eval: y is affine in x with slope gamma * invstd
      float a = lastTraining ? (float) (sdy / m) : 0f;
      float b = lastTraining ? (float) (sdyx / m) : 0f;
      for (int img = 0; img < n; img++) {
        int base = (img * c + ch) * hw;
        x.get(base, xt, 0, hw);
        dy.get(base, dyt, 0, hw);
        for (int k = 0; k < hw; k++) {
          float xhat = (xt[k] - mu) * is;
          dyt[k] = g * is * (dyt[k] - a - xhat * b);
        }
        dx.put(base, dyt, 0, hw);
      }
    }
    return dx;
  }
}
