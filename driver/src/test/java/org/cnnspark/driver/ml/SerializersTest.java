package org.cnnspark.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.driver.train.ReduceMode;
import org.junit.jupiter.api.Test;

/**
 * The Estimator under Spark's default serializer (Java serialization: what a cluster has unless told
 * otherwise) and under Kryo gives the same bits. Java serialization carries the image blocks through
 * the loading shuffle (a mixed split: blocks with their record indices) and the rounds' results in
 * both reduce modes: partition results as task results (collect), pieces and reduced shards through
 * the shuffle (shuffle).
 */
class SerializersTest {
  @Test
  void theEstimatorTrainsTheSameBitsUnderJavaSerializationAndKryo() throws IOException {
    LocalSpark.Subset s = LocalSpark.fashion("train", 0, 400);
    float[] kryo = fit(s, true, ReduceMode.COLLECT);
    assertArrayEquals(kryo, fit(s, false, ReduceMode.COLLECT), "Java serialization, results collected");
    assertArrayEquals(kryo, fit(s, false, ReduceMode.SHUFFLE), "Java serialization, results reduced in the shuffle");
  }

  /** The weights of one fit in a session of its own (the serializer is fixed when a SparkContext starts). */
  private static float[] fit(LocalSpark.Subset s, boolean kryo, ReduceMode reduce) {
    SparkSession spark = LocalSpark.builder(2, "cnn-spark serializers test")
        .config(ReduceMode.CONF, reduce.text())
        .config(kryo ? KryoSettings.apply(new SparkConf(false)) : new SparkConf(false))
        .getOrCreate();
    try {
      CnnClassifier c = CnnClassifierTest.classifier().setEpochs(1).setRoundsPerEpoch(2).setSplit("mixed");
      return c.fit(CnnClassifierTest.frame(spark, s, 3)).modelFile().params();
    } finally {
      spark.stop();
    }
  }
}
