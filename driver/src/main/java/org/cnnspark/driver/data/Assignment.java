package org.cnnspark.driver.data;

import java.util.SplittableRandom;
import org.cnnspark.engine.Seeds;

/**
 * Where each of n records (global indices 0..n-1) goes among w partitions under a {@link
 * DataSplit}: a pure function of (n, w, seed, index), so a retried or recomputed task sends every
 * record where the first attempt did. Partition p receives {@link #size} records, the same under
 * every split, and keeps them in global index order; {@link #position} is a record's place there.
 * An instance caches a little and belongs to one task (or thread).
 */
abstract class Assignment {
  final long n;
  final int w;
  final long[] bounds;

  Assignment(long n, int w) {
    this(n, ReadSlice.bounds(n, w));
  }

  /** Partition p receives bounds[p + 1] - bounds[p] records. */
  Assignment(long n, long[] bounds) {
    this.n = n;
    this.w = bounds.length - 1;
    this.bounds = bounds;
  }

  /** The partition record g goes to. */
  abstract int partition(long g);

  /** The place of record g among its partition's records (0 = its first). */
  abstract long position(long g);

  /** The number of records partition p receives: n / w, plus one for the first n % w partitions (for chunks, a chunk's). */
  final long size(int p) {
    return bounds[p + 1] - bounds[p];
  }

  /** Partition p holds records bounds[p] .. bounds[p + 1] - 1. */
  static final class Contiguous extends Assignment {
    Contiguous(long n, int w) {
      super(n, w);
    }

    @Override
    int partition(long g) {
      return ReadSlice.partitionOf(g, bounds);
    }

    @Override
    long position(long g) {
      return g - bounds[partition(g)];
    }
  }

  /**
   * Records are cut into consecutive groups of w; the j-th record of group k goes to partition
   * perm_k[j], perm_k a permutation of 0..w-1 drawn from (seed, k). So partition p gets one
   * record of every group, at position k, and no periodic pattern in the files (every w-th
   * record a cat) survives. The last group, of n % w records, is spread by a permutation of
   * 0..n % w - 1: the first n % w partitions take one record more, as under the contiguous split.
   */
  static final class Mixed extends Assignment {
    /**
     * The stream tag: an ASCII word, far from the small tags that seed initialisation (one per
     * tensor) and the training streams, so that no two uses of one seed share a stream.
     */
    static final long STREAM = 0x53504c4954L; // "SPLIT"

    private final long seed;
    private long group = -1;
    private int[] perm;

    Mixed(long n, int w, long seed) {
      super(n, w);
      this.seed = seed;
    }

    @Override
    int partition(long g) {
      long k = g / w;
      if (k != group) { // records come in index order, so one group's permutation serves w of them
        perm = permutation(seed, k, (int) Math.min(w, n - k * w));
        group = k;
      }
      return perm[(int) (g % w)];
    }

    @Override
    long position(long g) {
      return g / w;
    }

    /** A permutation of 0..size-1 drawn from (seed, group): Fisher-Yates over a SplittableRandom. */
    static int[] permutation(long seed, long group, int size) {
      int[] perm = new int[size];
      for (int i = 0; i < size; i++) {
        perm[i] = i;
      }
      SplittableRandom rnd = new SplittableRandom(Seeds.mix(seed, STREAM, group));
      for (int i = size - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      return perm;
    }
  }

  /**
   * A split's records in {@link Chunks}: record g goes to the chunk of its worker that holds its
   * position there, so each worker's chunks hold, one after the other, what its one partition
   * would hold.
   */
  static final class Chunked extends Assignment {
    private final Assignment split;
    private final Chunks chunks;

    Chunked(Assignment split, Chunks chunks) {
      super(split.n, chunks.contiguousBounds());
      this.split = split;
      this.chunks = chunks;
    }

    @Override
    int partition(long g) {
      int p = split.partition(g);
      return chunks.start(p) + (int) (split.position(g) / chunks.records());
    }

    @Override
    long position(long g) {
      return split.position(g) % chunks.records();
    }
  }
}
