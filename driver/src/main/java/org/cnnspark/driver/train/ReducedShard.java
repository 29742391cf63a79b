package org.cnnspark.driver.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamField;
import java.io.Serializable;

/**
 * What a shard's reducer sends the driver: the round's new values of its range of [parameters |
 * optimizer state] (null when no partition had examples), its range of the new outer momentum
 * buffer (empty without one), and, from the reducer of shard 0, every partition's summary. Kryo
 * writes it field by field, Java serialization (Spark's default) with the layout of {@link #writeObject}.
 */
public final class ReducedShard implements Serializable {
  private static final long serialVersionUID = 1L;
  /** None: the stream holds {@link #writeObject}'s layout, not Java's description of the fields. */
  private static final ObjectStreamField[] serialPersistentFields = {};

  private int shard;
  private float[] values;
  private float[] outer;
  private RoundSummary[] summaries;
  private double seconds;

  /** For Kryo. */
  @SuppressWarnings("unused")
  private ReducedShard() {}

  ReducedShard(int shard, float[] values, float[] outer, RoundSummary[] summaries, double seconds) {
    this.shard = shard;
    this.values = values;
    this.outer = outer;
    this.summaries = summaries;
    this.seconds = seconds;
  }

  /** Java serialization's layout: shard (int), values, outer (float[] or null), summaries (or null), seconds (double). */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeInt(shard);
    out.writeObject(values);
    out.writeObject(outer);
    out.writeObject(summaries);
    out.writeDouble(seconds);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    shard = in.readInt();
    values = (float[]) in.readObject();
    outer = (float[]) in.readObject();
    summaries = (RoundSummary[]) in.readObject();
    seconds = in.readDouble();
  }

  public int shard() {
    return shard;
  }

  public float[] values() {
    return values;
  }

  public float[] outer() {
    return outer;
  }

  /** The reduce task's seconds, fetching the pieces included. */
  public double seconds() {
    return seconds;
  }

  public RoundSummary[] summaries() {
    return summaries;
  }
}
