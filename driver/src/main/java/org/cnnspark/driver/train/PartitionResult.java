package org.cnnspark.driver.train;

import java.io.Serializable;

/**
 * What one partition sends back after its share of a round: its parameters and optimizer state
 * after its local steps (null when it had no examples this round), and its totals. The driver
 * weights it by {@link #count()} in a {@link ParamSum}. Floats, not doubles: half the bytes, and
 * n * p is formed exactly in double on the driver.
 */
public final class PartitionResult implements Serializable {
  private static final long serialVersionUID = 1L;

  private int partition;
  private long count;
  private double lossSum;
  private long correct;
  private long steps;
  private float[] params;
  private float[] state;
  private String kernels;
  private double seconds;
  private double fetchSeconds;

  /** For Kryo. */
  @SuppressWarnings("unused")
  private PartitionResult() {}

  PartitionResult(int partition, long count, double lossSum, long correct, long steps, float[] params,
      float[] state, String kernels, double seconds) {
    this.partition = partition;
    this.count = count;
    this.lossSum = lossSum;
    this.correct = correct;
    this.steps = steps;
    this.params = params;
    this.state = state;
    this.kernels = kernels;
    this.seconds = seconds;
  }

  /** The partition index (what the reduction orders by). */
  public int partition() {
    return partition;
  }

  /** Training examples this partition used in the round (its weight). For evaluation: examples scored. */
  public long count() {
    return count;
  }

  public double lossSum() {
    return lossSum;
  }

  public long correct() {
    return correct;
  }

  /** Optimizer steps taken this round. */
  public long steps() {
    return steps;
  }

  public float[] params() {
    return params;
  }

  public float[] state() {
    return state;
  }

  /** The executor's kernel backend. */
  public String kernels() {
    return kernels;
  }

  /** Seconds the task waited for the round's broadcast values (parameters, optimizer state). */
  public double fetchSeconds() {
    return fetchSeconds;
  }

  PartitionResult withFetchSeconds(double value) {
    fetchSeconds = value;
    return this;
  }

  /** Seconds the task spent in the engine. */
  public double seconds() {
    return seconds;
  }
}
