package org.cnnspark.driver.train;

/**
 * What one partition returns from a round: its parameters and optimizer state after training on
 * its share, and how much it saw. The driver weights parameters by {@code count}, summing the
 * partitions in index order, so the result does not depend on which task finished first.
 */
public final class ParamSum {
  private int partition;
  private long count;
  private double lossSum;
  private long correct;
  private long steps;
  private float[] params;
  private float[] state;

  @SuppressWarnings("unused")
  private ParamSum() {} // Kryo

  public ParamSum(int partition, long count, double lossSum, long correct, long steps, float[] params, float[] state) {
    this.partition = partition;
    this.count = count;
    this.lossSum = lossSum;
    this.correct = correct;
    this.steps = steps;
    this.params = params;
    this.state = state;
  }

  public int partition() {
    return partition;
  }

  public long count() {
    return count;
  }

  public double lossSum() {
    return lossSum;
  }

  public long correct() {
    return correct;
  }

  public long steps() {
    return steps;
  }

  public float[] params() {
    return params;
  }

  public float[] state() {
    return state;
  }
}
