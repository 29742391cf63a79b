package org.cnnspark.driver.score;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.cnnspark.driver.data.ImageBlock;
import org.cnnspark.driver.train.EngineCache;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.engine.SoftmaxCrossEntropy;

/**
 * Class probabilities of every record of a partition under the broadcast parameters (eval mode),
 * one CSV line per record, {@code index,label,prediction,p0,...,p{K-1}}, in index order; the
 * label is empty when unknown. Probabilities print as the shortest decimal that reads back as the
 * same float.
 */
final class PredictTask implements FlatMapFunction<Iterator<ImageBlock>, String> {
  private static final long serialVersionUID = 1L;

  private final EngineSpec engine;
  private final Broadcast<float[]> params;
  private final int batch;

  PredictTask(EngineSpec engine, Broadcast<float[]> params, int batch) {
    this.engine = engine;
    this.params = params;
    this.batch = batch;
  }

  @Override
  public Iterator<String> call(Iterator<ImageBlock> blocks) {
    List<String> lines = new ArrayList<>();
    StringBuilder sb = new StringBuilder();
    EngineCache.forEachBlock(engine, params.value(), blocks, (trainer, b) -> {
      int k = trainer.network().numClasses();
      float[] probs = new float[b.count() * k];
      trainer.predict(b.pixels(), 0, b.count(), batch, probs);
      FloatBuffer rows = FloatBuffer.wrap(probs);
      for (int i = 0; i < b.count(); i++) {
        sb.setLength(0);
        int label = b.labels()[i];
        sb.append(b.index(i)).append(',');
        if (label >= 0) {
          sb.append(label);
        }
        sb.append(',').append(SoftmaxCrossEntropy.argmax(rows, i * k, k));
        for (int c = 0; c < k; c++) {
          sb.append(',').append(probs[i * k + c]);
        }
        lines.add(sb.toString());
      }
    });
    return lines.iterator();
  }
}
