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
   * Frozen (its tensors under --freeze): it runs as in eval mode even in training, with its
   * running statistics, and keeps them, as PyTorch's frozen modules put in {@code .eval()}.
   */
  public void setFrozen(boolean on) {
    frozen = on;
  }

  private boolean frozen;

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

  /**
   * Images per pass: as many whole images as fit a 64K-float tile (at least one). A get per
   * (image, channel) costs more than the arithmetic on a ResNet's small planes (1x1 to 4x4), so
   * each pass copies a chunk of images at a time; every channel's sums still add the images in
   * order, so the bits do not depend on the chunking.
   */
  private int chunk(int n) {
    return Math.max(1, Math.min(n, TILE / in.size()));
  }

  private static final int TILE = 1 << 16;

  /** What a pass does with one plane: it starts at {@code base} in the tiles and belongs to channel {@code ch}. */
  private interface PlaneOp {
    void apply(int base, int ch);
  }

  /**
   * Loads x (and dy, unless null) into xt (dyt) a chunk of images at a time, visits every plane,
   * images in order, and, unless {@code out} is null, writes the chunk's xt (dyt, with dy) to it.
   */
  private void eachPlane(FloatBuffer x, FloatBuffer dy, int n, PlaneOp op, FloatBuffer out) {
    int size = in.size();
    int hw = in.h() * in.w();
    int chunk = chunk(n);
    xt = tile(xt, chunk * size);
    if (dy != null) {
      dyt = tile(dyt, chunk * size);
    }
    for (int first = 0; first < n; first += chunk) {
      int images = Math.min(chunk, n - first);
      x.get(first * size, xt, 0, images * size);
      if (dy != null) {
        dy.get(first * size, dyt, 0, images * size);
      }
      for (int img = 0; img < images; img++) {
        for (int ch = 0; ch < in.c(); ch++) {
          op.apply(img * size + ch * hw, ch);
        }
      }
      if (out != null) {
        out.put(first * size, dy == null ? xt : dyt, 0, images * size);
      }
    }
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    this.x = x;
    training &= !frozen;
    lastTraining = training;
    FloatBuffer y = outBuffer(n);
    int c = in.c();
    int hw = in.h() * in.w();
    int m = n * hw;
    if (mean == null) {
      mean = new float[c];
      invStd = new float[c];
    }
    if (training) {
      double[] sum = new double[c];
      eachPlane(x, null, n, (base, ch) -> sum[ch] += ArrayOps.sumInDouble(xt, base, hw), null);
      double[] squares = new double[c];
      eachPlane(x, null, n, (base, ch) -> squares[ch] += ArrayOps.sumSquaredDeviations(xt, base, hw, sum[ch] / m),
          null);
      for (int ch = 0; ch < c; ch++) {
        double dm = sum[ch] / m;
        double ss = squares[ch];
        mean[ch] = (float) dm;
        invStd[ch] = (float) (1.0 / Math.sqrt((float) (ss / m) + eps));
        double unbiased = m > 1 ? ss / (m - 1) : ss;
        if (trackRunningStats) {
          params.put(runningMean + ch, (float) ((1 - momentum) * params.get(runningMean + ch) + momentum * dm));
          params.put(runningVar + ch, (float) ((1 - momentum) * params.get(runningVar + ch) + momentum * unbiased));
        }
      }
    } else {
      for (int ch = 0; ch < c; ch++) {
        mean[ch] = params.get(runningMean + ch);
        invStd[ch] = (float) (1.0 / Math.sqrt(params.get(runningVar + ch) + eps));
      }
    }
    eachPlane(x, null, n, (base, ch) -> {
      float mu = mean[ch];
      float is = invStd[ch];
      float g = params.get(weight + ch);
      float b = params.get(bias + ch);
      for (int k = base; k < base + hw; k++) {
        xt[k] = (xt[k] - mu) * is * g + b;
      }
    }, y);
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
    // dgamma = sum(dy * xhat), dbeta = sum(dy)
    double[] sdy = new double[c];
    double[] sdyx = new double[c];
    eachPlane(x, dy, n, (base, ch) -> {
      sdy[ch] += ArrayOps.sumInDouble(dyt, base, hw);
      sdyx[ch] += ArrayOps.sumTimesNormalized(dyt, xt, base, hw, mean[ch], invStd[ch]);
    }, null);
    for (int ch = 0; ch < c; ch++) {
      grads.put(weight + ch, grads.get(weight + ch) + (float) sdyx[ch]);
      grads.put(bias + ch, grads.get(bias + ch) + (float) sdy[ch]);
    }
    if (!needDx) {
      return null;
    }
    eachPlane(x, dy, n, (base, ch) -> {
      float mu = mean[ch];
      float is = invStd[ch];
      float g = params.get(weight + ch);
      // training: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat));
      // eval: y is affine in x with slope gamma * invstd
      float a = lastTraining ? (float) (sdy[ch] / m) : 0f;
      float b = lastTraining ? (float) (sdyx[ch] / m) : 0f;
      for (int k = base; k < base + hw; k++) {
        float xhat = (xt[k] - mu) * is;
        dyt[k] = g * is * (dyt[k] - a - xhat * b);
      }
    }, dx);
    return dx;
  }
}
