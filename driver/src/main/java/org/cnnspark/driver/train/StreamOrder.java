package org.cnnspark.driver.train;

import java.util.Arrays;
import org.cnnspark.driver.data.Chunks;
import org.cnnspark.engine.Seeds;

/**
 * A worker's epoch when its data streams in chunks ({@link TrainConfig#shuffleBuffer()} > 0): its
 * chunks in an order drawn from (seed, epoch, worker), read in windows of G consecutive chunks of
 * that order (G chunks hold about the buffer's records), each window's records in an order drawn
 * from (seed, epoch, worker, window). The epoch visits the windows one after the other and is cut
 * into minibatches as {@link EpochOrder} cuts it, so round r trains the same minibatches whatever
 * the rounds per epoch, and reads only the windows they fall in. Without shuffling every order is
 * the identity, which visits the records in file order: the same minibatches as without chunks.
 */
final class StreamOrder {
  /** Stream tags: ASCII words, apart from EpochOrder's small tags. */
  private static final long CHUNKS = 0x4348554e4bL; // "CHUNK"
  private static final long WINDOW = 0x57494e444fL; // "WINDO"

  private final Chunks chunks;
  private final int worker;
  /** The chunks in visiting order (indices within the worker). */
  private final int[] order;
  /** Chunks per window. */
  private final int window;
  /** windowStart[k] = the epoch position of window k's first record; windowStart[windows] = records. */
  private final long[] windowStart;
  private final long seed;
  private final int epoch;
  private final boolean shuffle;

  StreamOrder(Chunks chunks, int shuffleBuffer, long seed, int epoch, int worker, boolean shuffle) {
    this.chunks = chunks;
    this.worker = worker;
    this.seed = seed;
    this.epoch = epoch;
    this.shuffle = shuffle;
    int m = chunks.chunks(worker);
    order = shuffle ? EpochOrder.permutation(Seeds.mix(seed, CHUNKS, epoch, worker), m) : EpochOrder.identity(m);
    window = Math.max(1, (shuffleBuffer + chunks.records() - 1) / chunks.records());
    int windows = (m + window - 1) / window;
    windowStart = new long[windows + 1];
    for (int k = 0; k < windows; k++) {
      long size = 0;
      for (int i = k * window; i < Math.min(m, (k + 1) * window); i++) {
        size += chunks.chunkSize(worker, order[i]);
      }
      windowStart[k + 1] = windowStart[k] + size;
    }
  }

  /** The worker's records in the epoch. */
  long records() {
    return windowStart[windowStart.length - 1];
  }

  int windows() {
    return windowStart.length - 1;
  }

  long windowStart(int k) {
    return windowStart[k];
  }

  /** The window holding epoch position pos (0 <= pos < records()). */
  int windowOf(long pos) {
    // Windows with records start at increasing positions (only a worker without records has an empty one).
    int k = Arrays.binarySearch(windowStart, pos);
    return k >= 0 ? k : -k - 2;
  }

  /** The chunks (indices within the worker) of windows first..last, in reading order. */
  int[] chunksOf(int first, int last) {
    return Arrays.copyOfRange(order, first * window, Math.min(order.length, (last + 1) * window));
  }

  /** The order of window k's records: a permutation of its records (identity without shuffling). */
  int[] recordOrder(int k) {
    int n = (int) (windowStart[k + 1] - windowStart[k]);
    long windowSeed = Seeds.mix(Seeds.mix(seed, WINDOW, epoch, worker), k);
    return shuffle ? EpochOrder.permutation(windowSeed, n) : EpochOrder.identity(n);
  }
}
