package org.cnnspark.driver.train;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.engine.Trainer;

/**
 * Engines kept per executor JVM between rounds, so a round does not allocate a network, its
 * activations and its thread pool again. Several tasks may run at once in one JVM, so this is a
 * pool per {@link EngineSpec#key()}: a task borrows an engine and gives it back. A borrowed
 * engine's contents are stale: the task overwrites parameters, optimizer state and step count.
 */
public final class EngineCache {
  private static final Map<String, ConcurrentLinkedDeque<Trainer>> POOLS = new ConcurrentHashMap<>();
  /** Engines of other specs are dropped when a new spec comes, so a long-lived executor does not hoard them. */
  private static volatile String lastKey;

  private EngineCache() {}

  public static Trainer borrow(EngineSpec spec) {
    String key = spec.key();
    if (!key.equals(lastKey)) {
      lastKey = key;
      POOLS.keySet().removeIf(k -> {
        if (k.equals(key)) {
          return false;
        }
        ConcurrentLinkedDeque<Trainer> old = POOLS.get(k);
        if (old != null) {
          old.forEach(Trainer::close);
        }
        return true;
      });
    }
    Trainer t = POOLS.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).pollFirst();
    return t != null ? t : spec.newTrainer();
  }

  public static void giveBack(EngineSpec spec, Trainer trainer) {
    POOLS.computeIfAbsent(spec.key(), k -> new ConcurrentLinkedDeque<>()).offerFirst(trainer);
  }

  /** Work on one non-empty block with an engine holding the given parameters. */
  public interface BlockWork {
    void run(Trainer trainer, ImageBlock block);
  }

  /** Runs work over a partition's non-empty blocks, borrowing an engine only if there is one. */
  public static void forEachBlock(EngineSpec spec, float[] params, Iterator<ImageBlock> blocks, BlockWork work) {
    Trainer trainer = null;
    try {
      while (blocks.hasNext()) {
        ImageBlock b = blocks.next();
        if (b.count() == 0) {
          continue;
        }
        if (trainer == null) {
          trainer = borrow(spec);
          trainer.network().setParams(params);
        }
        work.run(trainer, b);
      }
    } finally {
      if (trainer != null) {
        giveBack(spec, trainer);
      }
    }
  }
}
