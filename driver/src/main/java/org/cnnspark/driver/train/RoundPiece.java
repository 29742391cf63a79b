package org.cnnspark.driver.train;

import java.io.Serializable;

/**
 * One shard of one partition's result on its way through the shuffle: the partition's example
 * count (its weight) and its values of the shard's range of [parameters | optimizer state] (null
 * when the partition had no examples this round). The piece for shard 0 also carries the
 * partition's {@link RoundSummary}, so the driver gets every partition's totals from one reducer.
 */
public final class RoundPiece implements Serializable {
  private static final long serialVersionUID = 1L;

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
