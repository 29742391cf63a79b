package org.cnnspark.driver.score;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.cnnspark.driver.data.RowImages;
import org.cnnspark.driver.train.EngineCache;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.SoftmaxCrossEntropy;
import org.cnnspark.engine.Trainer;

/**
 * Scores a DataFrame partition in place: every row keeps its columns and gains rawPrediction
 * (the logits), probability (their softmax) and prediction (the most probable class, as a double),
 * each only when its column name is non-empty. Rows are scored in batches in eval mode.
 */
public final class ScoreRows implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final EngineSpec engine;
  private final Broadcast<float[]> params;
  private final RowImages images;
  private final boolean raw;
  private final boolean probability;
  private final boolean prediction;
  private final int batch;

  public ScoreRows(EngineSpec engine, Broadcast<float[]> params, RowImages images, boolean raw, boolean probability,
      boolean prediction, int batch) {
    this.engine = engine;
    this.params = params;
    this.images = images;
    this.raw = raw;
    this.probability = probability;
    this.prediction = prediction;
    this.batch = batch;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    return new Iterator<>() {
      private final List<Row> pending = new ArrayList<>();
      private int next;
      private long seen;

      @Override
      public boolean hasNext() {
        if (next < pending.size()) {
          return true;
        }
        pending.clear();
        next = 0;
        if (!rows.hasNext()) {
          return false;
        }
        List<Row> in = new ArrayList<>(batch);
        while (in.size() < batch && rows.hasNext()) {
          in.add(rows.next());
        }
        pending.addAll(score(in, seen));
        seen += in.size();
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return pending.get(next++);
      }
    };
  }

  private List<Row> score(List<Row> in, long firstRow) {
    Shape shape = engine.inputShape();
    int size = shape.size();
    int n = in.size();
    byte[] pixels = new byte[n * size];
    for (int i = 0; i < n; i++) {
      byte[] img = images.decode(in.get(i), "row " + (firstRow + i) + " of this partition");
      System.arraycopy(img, 0, pixels, i * size, size);
    }
    Trainer trainer = EngineCache.borrow(engine);
    float[] logits;
    float[] probs;
    int k;
    try {
      Network net = trainer.network();
      net.setParams(params.value());
      k = net.numClasses();
      FloatBuffer x = Buffers.allocate((long) n * size);
      engine.normalization().apply(pixels, 0, n, shape, x);
      FloatBuffer out = net.forward(x, n, false, 0);
      logits = Buffers.toArray(out, n * k);
      FloatBuffer p = Buffers.allocate((long) n * k);
      SoftmaxCrossEntropy.softmax(out, n, k, p, 0);
      probs = Buffers.toArray(p, n * k);
    } finally {
      EngineCache.giveBack(engine, trainer);
    }
    List<Row> result = new ArrayList<>(n);
    FloatBuffer rows = FloatBuffer.wrap(probs);
    for (int i = 0; i < n; i++) {
      Row r = in.get(i);
      List<Object> values = new ArrayList<>(r.length() + 3);
      for (int j = 0; j < r.length(); j++) {
        values.add(r.get(j));
      }
      if (raw) {
        values.add(Vectors.dense(doubles(logits, i * k, k)));
      }
      if (probability) {
        values.add(Vectors.dense(doubles(probs, i * k, k)));
      }
      if (prediction) {
        values.add((double) SoftmaxCrossEntropy.argmax(rows, i * k, k));
      }
      result.add(RowFactory.create(values.toArray()));
    }
    return result;
  }

  private static double[] doubles(float[] v, int off, int k) {
    double[] d = new double[k];
    for (int c = 0; c < k; c++) {
      d[c] = v[off + c];
    }
    return d;
  }
}
