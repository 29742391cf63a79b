package org.cnnspark.driver.train;

import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.engine.Trainer;

/** Loss and accuracy of the broadcast parameters on one partition (eval mode: no dropout, BN running stats). */
final class EvalTask implements Function2<Integer, Iterator<ImageBlock>, Iterator<PartitionResult>> {
  private static final long serialVersionUID = 1L;

  private final EngineSpec engine;
  private final Broadcast<float[]> params;
  private final int batch;

  EvalTask(EngineSpec engine, Broadcast<float[]> params, int batch) {
    this.engine = engine;
    this.params = params;
    this.batch = batch;
  }

  @Override
  public Iterator<PartitionResult> call(Integer partition, Iterator<ImageBlock> blocks) {
    long start = System.nanoTime();
    Trainer.Stats[] total = {Trainer.Stats.ZERO};
    EngineCache.forEachBlock(engine, params.value(), blocks, (trainer, b) -> {
      for (int i = 0; i < b.count(); i++) {
        if (b.labels()[i] < 0) {
          throw new IllegalArgumentException("record " + b.index(i) + " has no label: evaluation needs "
              + "labelled data (give the labels file or column)");
        }
      }
      total[0] = total[0].plus(trainer.evaluate(b.pixels(), b.labels(), 0, b.count(), batch));
    });
    return Collections.singletonList(new PartitionResult(partition, total[0].count(), total[0].lossSum(), total[0].correct(),
        0, null, null, null, (System.nanoTime() - start) / 1e9)).iterator();
  }
}
