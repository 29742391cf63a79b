package org.cnnspark.driver.train;

import java.util.Arrays;

/**
 * The round's reduction on the driver: sums of partition parameters and optimizer state weighted
 * by each partition's example count, accumulated in double, and the example count. Partitions
 * are added in index order by the caller, so the sum has the same bits whatever order the tasks
 * finished in. With a single partition, n * p / n in double is p exactly, so one
 * worker gives the engine's own bits.
 */
public final class ParamSum {
  private final double[] params;
  private final double[] state;
  private long count;
  private int nextPartition;

  public ParamSum(int paramSize, int stateSize) {
    this.params = new double[paramSize];
    this.state = new double[stateSize];
  }

  /** Adds partition results in order: r.partition() must be the next index. Empty partitions add nothing. */
  public void add(PartitionResult r) {
    if (r.partition() != nextPartition) {
      throw new IllegalStateException("partition " + r.partition() + " added out of order; expected "
          + nextPartition);
    }
    nextPartition++;
    if (r.count() == 0) {
      return;
    }
    addScaled(params, r.params(), r.count(), "parameters");
    addScaled(state, r.state(), r.count(), "optimizer state");
    count += r.count();
  }

  private static void addScaled(double[] sum, float[] values, long weight, String what) {
    if (values.length != sum.length) {
      throw new IllegalStateException("a partition returned " + values.length + " " + what + " values, expected "
          + sum.length);
    }
    double w = weight;
    for (int i = 0; i < sum.length; i++) {
      sum[i] += w * values[i];
    }
  }

  public long count() {
    return count;
  }

  /** The weighted mean of parameter i in double (an outer step's input); count() must be > 0. */
  public double meanParam(int i) {
    return params[i] / count;
  }

  /** The weighted mean of the parameters, or {@code previous} when no partition had examples. */
  public float[] averageParams(float[] previous) {
    return average(params, previous);
  }

  public float[] averageState(float[] previous) {
    return average(state, previous);
  }

  private float[] average(double[] sum, float[] previous) {
    if (count == 0) {
      return Arrays.copyOf(previous, previous.length);
    }
    double n = count;
    float[] out = new float[sum.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (sum[i] / n);
    }
    return out;
  }
}
