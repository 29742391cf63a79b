package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The reduce task of one shard: takes the W partitions' pieces of it (in whatever order the
 * shuffle delivers them), sums them in partition order in double weighted by example count, and
 * turns the sums into the round's new values exactly as the driver does on the collect path: the
 * float average, or the outer step ({@link OuterSgd}) on the trainable parameters. So both paths
 * give the same bits, and a rerun of this task (after a lost executor) gives them again.
 */
final class ShardReduce implements Function2<Integer, Iterator<Tuple2<Integer, RoundPiece>>, Iterator<ReducedShard>> {
  private static final long serialVersionUID = 1L;

  private final ShardLayout layout;
  private final int workers;
  /** The parameters the round started from (the outer step's x). */
  private final Broadcast<float[]> start;
  /** The outer momentum buffer before the round; null without one. */
  private final Broadcast<float[]> outerBuffer;
  private final OuterSgd outer;
  private final int trainable;

  ShardReduce(ShardLayout layout, int workers, Broadcast<float[]> start, Broadcast<float[]> outerBuffer, OuterSgd outer,
      int trainable) {
    this.layout = layout;
    this.workers = workers;
    this.start = start;
    this.outerBuffer = outerBuffer;
    this.outer = outer;
    this.trainable = trainable;
  }

  @Override
  public Iterator<ReducedShard> call(Integer shard, Iterator<Tuple2<Integer, RoundPiece>> pieces) {
    long t0 = System.nanoTime(); // from the first fetch of a piece to the result
    RoundPiece[] byPartition = new RoundPiece[workers];
    List<RoundSummary> summaries = new ArrayList<>();
    while (pieces.hasNext()) {
      RoundPiece piece = pieces.next()._2();
      byPartition[piece.partition()] = piece;
      if (piece.summary() != null) {
        summaries.add(piece.summary());
      }
    }
    int from = layout.from(shard);
    int to = layout.to(shard);
    double[] sum = new double[to - from];
    long count = 0;
    for (RoundPiece piece : byPartition) { // partition order: the collect path's additions
      if (piece == null || piece.count() == 0) {
        continue;
      }
      double w = piece.count();
      float[] v = piece.values();
      for (int i = 0; i < sum.length; i++) {
        sum[i] += w * v[i];
      }
      count += piece.count();
    }
    summaries.sort(Comparator.comparingInt(RoundSummary::partition));
    RoundSummary[] out = shard == 0 ? summaries.toArray(new RoundSummary[0]) : null;
    if (count == 0) {
      return List.of(new ReducedShard(shard, null, new float[0], out, (System.nanoTime() - t0) / 1e9)).iterator();
    }
    float[] values = new float[sum.length];
    float[] next = new float[0];
    double n = count;
    int paramsEnd = Math.min(to, layout.params());
    if (outer.isAverage() || from >= paramsEnd) {
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (sum[i] / n);
      }
    } else {
      long c = count;
      next = new float[outer.stateSize(trainable) == 0 ? 0 : Math.max(0, Math.min(to, trainable) - from)];
      outer.step(start.value(), i -> sum[i - from] / c, outerBuffer == null ? new float[0] : outerBuffer.value(),
          trainable, from, paramsEnd, values, next);
      for (int i = paramsEnd - from; i < values.length; i++) {
        values[i] = (float) (sum[i] / n);
      }
    }
    return List.of(new ReducedShard(shard, values, next, out, (System.nanoTime() - t0) / 1e9)).iterator();
  }
}
