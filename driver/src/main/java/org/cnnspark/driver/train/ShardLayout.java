package org.cnnspark.driver.train;

import java.io.Serializable;

/**
 * How the shuffle reduction cuts a partition's result, the vector [parameters | optimizer state] of
 * {@code params + state} floats, into {@code shards} contiguous pieces of {@code shardSize} floats
 * (the last may be shorter). Shards aim at one per worker, as BigDL's parameter shards did, but
 * hold at least {@link #MIN_FLOATS} (fewer, larger shuffle blocks for small models) and at most
 * {@link #MAX_FLOATS} (a reduce task holds W pieces of one shard, so this bounds its memory), or
 * the Spark setting {@value #MAX_FLOATS_CONF} when given. The layout never changes the bits.
 */
public record ShardLayout(int params, int state, int shardSize, int shards) implements Serializable {
  public static final int MIN_FLOATS = 1 << 16;
  public static final int MAX_FLOATS = 1 << 20;
  /** Spark setting: the most floats in one shard (default {@link #MAX_FLOATS}). */
  public static final String MAX_FLOATS_CONF = "spark.cnnspark.reduce.maxShardFloats";

  public static ShardLayout of(int params, int state, int workers) {
    return of(params, state, workers, MAX_FLOATS);
  }

  /** As {@link #of(int, int, int)} with shards of at most {@code maxFloats} (>= 1). */
  public static ShardLayout of(int params, int state, int workers, long maxFloats) {
    if (maxFloats < 1) {
      throw new IllegalArgumentException(MAX_FLOATS_CONF + " must be >= 1, got " + maxFloats);
    }
    long total = (long) params + state;
    long perWorker = (total + workers - 1) / Math.max(1, workers);
    long size = Math.max(Math.min(MIN_FLOATS, maxFloats), Math.min(maxFloats, perWorker));
    int shards = (int) Math.max(1, (total + size - 1) / size);
    return new ShardLayout(params, state, (int) size, shards);
  }

  public long total() {
    return (long) params + state;
  }

  /** First index of shard s in the concatenated vector. */
  public int from(int s) {
    return (int) Math.min(total(), (long) s * shardSize);
  }

  /** One past the last index of shard s. */
  public int to(int s) {
    return from(s + 1);
  }
}
