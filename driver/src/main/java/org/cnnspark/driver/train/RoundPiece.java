package org.cnnspark.driver.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamField;
import java.io.Serializable;

/**
 * One shard of one partition's result on its way through the shuffle: the partition's example
 * count (its weight) and its values of the shard's range of [parameters | optimizer state] (null
 * when the partition had no examples this round). The piece for shard 0 also carries the
 * partition's {@link RoundSummary}, so the driver gets every partition's totals from one reducer.
 * Kryo writes it field by field, Java serialization (Spark's default) with the layout of
 * {@link #writeObject}.
 */
public final class RoundPiece implements Serializable {
  private static final long serialVersionUID = 1L;
  /** None: the stream holds {@link #writeObject}'s layout, not Java's description of the fields. */
  private static final ObjectStreamField[] serialPersistentFields = {};

  private int partition;
  private long count;
  private float[] values;
  private RoundSummary summary;

  /** For Kryo. */
  @SuppressWarnings("unused")
  private RoundPiece() {}

  RoundPiece(int partition, long count, float[] values, RoundSummary summary) {
    this.partition = partition;
    this.count = count;
    this.values = values;
    this.summary = summary;
  }

  /** Java serialization's layout: partition (int), count (long), values (float[] or null), summary (or null). */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeInt(partition);
    out.writeLong(count);
    out.writeObject(values);
    out.writeObject(summary);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    partition = in.readInt();
    count = in.readLong();
    values = (float[]) in.readObject();
    summary = (RoundSummary) in.readObject();
  }

  public int partition() {
    return partition;
  }

  public long count() {
    return count;
  }

  public float[] values() {
    return values;
  }

  public RoundSummary summary() {
    return summary;
  }
}
