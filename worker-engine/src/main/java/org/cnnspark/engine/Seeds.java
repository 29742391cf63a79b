package org.cnnspark.engine;

/** Derives independent seeds from (seed, index, ...) so no random stream depends on a thread or the clock. */
public final class Seeds {
  private Seeds() {}

  /** SplitMix64 finaliser over seed and index: cheap, and neighbouring inputs give unrelated outputs. */
  public static long mix(long seed, long index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public static long mix(long seed, long a, long b) {
    return mix(mix(seed, a), b);
  }

  public static long mix(long seed, long a, long b, long c) {
    return mix(mix(mix(seed, a), b), c);
  }
}
