package org.cnnspark.driver.train;

import java.io.Serializable;

/**
 * What a shard's reducer sends the driver: the round's new values of its range of [parameters |
 * optimizer state] (null when no partition had examples), its range of the new outer momentum
 * buffer (empty without one), and, from the reducer of shard 0, every partition's summary.
 */
public final class ReducedShard implements Serializable {
  private static final long serialVersionUID = 1L;

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
