package org.cnnspark.driver.train;

import java.util.SplittableRandom;
import org.cnnspark.engine.Seeds;

/**
 * The order in which a partition visits its records, and the seeds of its steps. A partition's
 * epoch is a permutation of its records (or file order without shuffling) cut into minibatches
 * of the batch size, the last one possibly smaller; the K rounds of an epoch take consecutive runs
 * of those minibatches, so the minibatches do not depend on K, only how often they are averaged
 * (K may differ from epoch to epoch: {@link TrainConfig#roundsInEpoch}).
 * Everything derives from (seed, epoch, partition, step): re-running a task gives the same bits.
 */
public final class EpochOrder {
  /** Stream tags, so shuffling and dropout never share a random stream. */
  private static final long SHUFFLE = 1;
  private static final long DROPOUT = 2;

  private EpochOrder() {}

  /** Record order of a partition of n records in an epoch: a permutation of 0..n-1 (identity when !shuffle). */
  public static int[] order(long seed, int epoch, int partition, int n, boolean shuffle) {
    return shuffle ? permutation(Seeds.mix(seed, SHUFFLE, epoch, partition), n) : identity(n);
  }

  static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  /** A permutation of 0..n-1 drawn from {@code seed}: Fisher-Yates over a SplittableRandom. */
  static int[] permutation(long seed, int n) {
    int[] order = identity(n);
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Minibatches of a partition of n records per epoch. */
  public static int batches(int n, int batchSize) {
    return (int) (((long) n + batchSize - 1) / batchSize);
  }

  /** First minibatch of round r (0-based) of the epoch's k; round r runs minibatches [firstBatch(r), firstBatch(r + 1)). */
  public static int firstBatch(int batches, int round, int roundsPerEpoch) {
    return (int) ((long) batches * round / roundsPerEpoch);
  }

  /** The seed of minibatch {@code step} (0-based within the epoch) of a partition: drives dropout. */
  public static long stepSeed(long seed, int epoch, int partition, int step) {
    return Seeds.mix(Seeds.mix(seed, DROPOUT, epoch, partition), step);
  }
}
