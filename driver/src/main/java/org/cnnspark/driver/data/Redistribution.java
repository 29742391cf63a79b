package org.cnnspark.driver.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Sends records to the partitions a {@link DataSplit} names, with one Spark shuffle and no data
 * through the driver: each source partition cuts its records into pieces by destination (one
 * {@link BlockSink} per destination, so pieces are at most a block), the pieces are partitioned
 * by destination, and each destination orders its pieces by global index and packs them into
 * blocks. Where a record goes derives from its index and the seed only, so a retried or
 * recomputed task gives the same bits.
 */
final class Redistribution {
  private Redistribution() {}

  /**
   * The n records of {@code source} (its ImageBlocks; other elements are passed over) in w
   * partitions by {@code split}, persisted at {@link LoadedData#STORAGE} but not yet computed: the caller runs the
   * job that fills the cache, then drops {@code source}'s.
   *
   * @param offsets per source partition, what to add to its blocks' indices to make them global;
   *     null when they are global already
   * @param chunks null = one partition per worker; else the chunks the workers' records go to
   */
  static JavaRDD<ImageBlock> run(JavaRDD<?> source, long[] offsets, long n, int w, DataSplit split, long seed,
      Chunks chunks, Target target, String name) {
    JavaPairRDD<Integer, ImageBlock> pieces = JavaPairRDD.fromJavaRDD(source.mapPartitionsWithIndex(
        (p, it) -> cut(it, offsets == null ? 0 : offsets[p], assignment(n, w, split, seed, chunks), target), true));
    int partitions = chunks == null ? w : chunks.partitions();
    JavaRDD<ImageBlock> blocks = pieces.partitionBy(new ByIndex(partitions)).values()
        .mapPartitionsWithIndex((p, it) -> repack(p, it, assignment(n, w, split, seed, chunks), target), true);
    blocks.setName("cnn-spark data " + name + " (" + split + ")");
    return blocks.persist(LoadedData.STORAGE);
  }

  private static Assignment assignment(long n, int w, DataSplit split, long seed, Chunks chunks) {
    Assignment a = split.assignment(n, w, seed);
    return chunks == null ? a : new Assignment.Chunked(a, chunks);
  }

  /** One source partition's records as pieces keyed by destination partition, in index order per destination. */
  private static Iterator<Tuple2<Integer, ImageBlock>> cut(Iterator<?> it, long offset, Assignment to, Target target) {
    BlockSink[] sinks = new BlockSink[to.w];
    while (it.hasNext()) {
      if (!(it.next() instanceof ImageBlock b)) {
        continue;
      }
      int size = b.imageSize();
      for (int i = 0; i < b.count(); i++) {
        long g = offset + b.index(i);
        int p = to.partition(g);
        if (sinks[p] == null) {
          sinks[p] = new BlockSink(target, g);
        }
        sinks[p].add(b.pixels(), i * size, b.labels()[i], g);
      }
    }
    List<Tuple2<Integer, ImageBlock>> out = new ArrayList<>();
    for (int p = 0; p < sinks.length; p++) {
      if (sinks[p] != null) {
        for (ImageBlock piece : sinks[p].finish()) {
          out.add(new Tuple2<>(p, piece));
        }
      }
    }
    return out.iterator();
  }

  /**
   * Destination partition p: its pieces in index order, packed into full blocks. Every source
   * partition holds its own run of indices, so ordering the pieces by their first index orders
   * all records; the checks catch a lost piece.
   */
  private static Iterator<ImageBlock> repack(int p, Iterator<ImageBlock> it, Assignment to, Target target) {
    List<ImageBlock> pieces = new ArrayList<>();
    it.forEachRemaining(pieces::add);
    pieces.sort(Comparator.comparingLong(ImageBlock::firstIndex));
    BlockSink sink = new BlockSink(target, 0);
    long position = 0;
    for (ImageBlock b : pieces) {
      int size = b.imageSize();
      for (int i = 0; i < b.count(); i++) {
        long g = b.index(i);
        // Positions only: checking each record's partition too would redraw its group's
        // permutation, w steps per record.
        if (to.position(g) != position) {
          throw new IllegalStateException("partition " + p + " of " + to.w + " got record " + g + " at position "
              + position + ": a piece of the split is missing");
        }
        sink.add(b.pixels(), i * size, b.labels()[i], g);
        position++;
      }
    }
    if (position != to.size(p)) {
      throw new IllegalStateException("partition " + p + " of " + to.w + " got " + position + " records, not "
          + to.size(p));
    }
    return sink.finish().iterator();
  }

  /** Keys are partition indices already. */
  static final class ByIndex extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    ByIndex(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByIndex b && b.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }
}
