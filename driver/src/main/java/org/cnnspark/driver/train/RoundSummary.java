package org.cnnspark.driver.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamField;
import java.io.Serializable;

/**
 * A partition's round without its vectors: its totals, and the first NaN or Inf it found in its own
 * loss, parameters or optimizer state. Made where the result is (on the executor when the shuffle
 * reduces), so the driver can name a diverged partition and parameter without the vectors. Kryo
 * writes it field by field, Java serialization (Spark's default) with the layout of {@link #writeObject}.
 */
public final class RoundSummary implements Serializable {
  private static final long serialVersionUID = 1L;
  /** None: the stream holds {@link #writeObject}'s layout, not Java's description of the fields. */
  private static final ObjectStreamField[] serialPersistentFields = {};
  /** What {@link #badKind()} says was not finite. */
  public static final int FINITE = 0;
  public static final int LOSS = 1;
  public static final int PARAM = 2;
  public static final int STATE = 3;

  private int partition;
  private long count;
  private double lossSum;
  private long correct;
  private long steps;
  private String kernels;
  private double seconds;
  private double fetchSeconds;
  private int badKind;
  private int badIndex;
  private double badValue;

  /** For Kryo. */
  @SuppressWarnings("unused")
  private RoundSummary() {}

  RoundSummary(PartitionResult r) {
    partition = r.partition();
    count = r.count();
    lossSum = r.lossSum();
    correct = r.correct();
    steps = r.steps();
    kernels = r.kernels();
    seconds = r.seconds();
    fetchSeconds = r.fetchSeconds();
    if (count == 0) {
      return;
    }
    if (!Double.isFinite(r.lossSum())) {
      setBad(LOSS, 0, r.lossSum());
    } else if (firstNonFinite(r.params()) >= 0) {
      int i = firstNonFinite(r.params());
      setBad(PARAM, i, r.params()[i]);
    } else if (firstNonFinite(r.state()) >= 0) {
      int i = firstNonFinite(r.state());
      setBad(STATE, i, r.state()[i]);
    }
  }

  /**
   * Java serialization's layout: partition (int), count (long), lossSum (double), correct, steps
   * (long), kernels (String), seconds, fetchSeconds (double), badKind, badIndex (int), badValue (double).
   */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeInt(partition);
    out.writeLong(count);
    out.writeDouble(lossSum);
    out.writeLong(correct);
    out.writeLong(steps);
    out.writeObject(kernels);
    out.writeDouble(seconds);
    out.writeDouble(fetchSeconds);
    out.writeInt(badKind);
    out.writeInt(badIndex);
    out.writeDouble(badValue);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    partition = in.readInt();
    count = in.readLong();
    lossSum = in.readDouble();
    correct = in.readLong();
    steps = in.readLong();
    kernels = (String) in.readObject();
    seconds = in.readDouble();
    fetchSeconds = in.readDouble();
    badKind = in.readInt();
    badIndex = in.readInt();
    badValue = in.readDouble();
  }

  private void setBad(int kind, int index, double value) {
    badKind = kind;
    badIndex = index;
    badValue = value;
  }

  private static int firstNonFinite(float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
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

  public String kernels() {
    return kernels;
  }

  public double fetchSeconds() {
    return fetchSeconds;
  }

  public double seconds() {
    return seconds;
  }

  /** {@link #FINITE}, or which of loss, parameters and state held the first non-finite value. */
  public int badKind() {
    return badKind;
  }

  /** The flat index of the first non-finite parameter or state value. */
  public int badIndex() {
    return badIndex;
  }

  public double badValue() {
    return badValue;
  }
}
