package org.cnnspark.driver.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamField;
import java.io.Serializable;

/**
 * What one partition sends back after its share of a round: its parameters and optimizer state
 * after its local steps (null when it had no examples this round), and its totals. The driver
 * weights it by {@link #count()} in a {@link ParamSum}. Floats, not doubles: half the bytes, and
 * n * p is formed exactly in double on the driver. Kryo writes it field by field, Java serialization
 * (Spark's default) with the layout of {@link #writeObject}.
 */
public final class PartitionResult implements Serializable {
  private static final long serialVersionUID = 1L;
  /** None: the stream holds {@link #writeObject}'s layout, not Java's description of the fields. */
  private static final ObjectStreamField[] serialPersistentFields = {};

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

  /**
   * Java serialization's layout: partition (int), count (long), lossSum (double), correct, steps
   * (long), params, state (float[] or null), kernels (String), seconds, fetchSeconds (double).
   */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeInt(partition);
    out.writeLong(count);
    out.writeDouble(lossSum);
    out.writeLong(correct);
    out.writeLong(steps);
    out.writeObject(params);
    out.writeObject(state);
    out.writeObject(kernels);
    out.writeDouble(seconds);
    out.writeDouble(fetchSeconds);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    partition = in.readInt();
    count = in.readLong();
    lossSum = in.readDouble();
    correct = in.readLong();
    steps = in.readLong();
    params = (float[]) in.readObject();
    state = (float[]) in.readObject();
    kernels = (String) in.readObject();
    seconds = in.readDouble();
    fetchSeconds = in.readDouble();
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
