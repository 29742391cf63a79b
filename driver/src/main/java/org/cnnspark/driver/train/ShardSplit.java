package org.cnnspark.driver.train;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import scala.Tuple2;

/**
 * Cuts a partition's result into its {@link ShardLayout} pieces, keyed by shard, for the shuffle.
 * Pieces are made one at a time as the shuffle writer asks, so a task holds one extra shard, not
 * a second copy of its result. A partition without examples sends only its summary.
 */
final class ShardSplit implements PairFlatMapFunction<PartitionResult, Integer, RoundPiece> {
  private static final long serialVersionUID = 1L;

  private final ShardLayout layout;

  ShardSplit(ShardLayout layout) {
    this.layout = layout;
  }

  @Override
  public Iterator<Tuple2<Integer, RoundPiece>> call(PartitionResult r) {
    RoundSummary summary = new RoundSummary(r);
    if (r.count() == 0) {
      return List.of(new Tuple2<>(0, new RoundPiece(r.partition(), 0, null, summary))).iterator();
    }
    if (r.params().length != layout.params() || r.state().length != layout.state()) {
      throw new IllegalStateException("partition " + r.partition() + " returned " + r.params().length + " parameters and "
          + r.state().length + " state values, expected " + layout.params() + " and " + layout.state());
    }
    return new Iterator<>() {
      private int shard;

      @Override
      public boolean hasNext() {
        return shard < layout.shards();
      }

      @Override
      public Tuple2<Integer, RoundPiece> next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int s = shard++;
        float[] values = slice(r, layout.from(s), layout.to(s));
        return new Tuple2<>(s, new RoundPiece(r.partition(), r.count(), values, s == 0 ? summary : null));
      }
    };
  }

  /** [from, to) of the concatenation [params | state]. */
  static float[] slice(PartitionResult r, int from, int to) {
    float[] out = new float[to - from];
    int p = r.params().length;
    if (from < p) {
      System.arraycopy(r.params(), from, out, 0, Math.min(to, p) - from);
    }
    if (to > p) {
      int s = Math.max(from, p);
      System.arraycopy(r.state(), s - p, out, s - from, to - s);
    }
    return out;
  }
}
