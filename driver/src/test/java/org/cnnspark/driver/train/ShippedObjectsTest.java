package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.serializer.SerializerInstance;
import org.cnnspark.driver.Shipping;
import org.cnnspark.driver.data.ImageBlock;
import org.junit.jupiter.api.Test;

/**
 * What the rounds ship (image blocks, partition results, their pieces, summaries and reduced shards)
 * comes back whole from Spark's Java serializer and from Kryo, and Java serialization writes the
 * payload plus a small fixed overhead: our layouts, not a description of the fields per object.
 */
class ShippedObjectsTest {
  private static final SerializerInstance[] BOTH = {Shipping.java(), Shipping.kryo()};

  @Test
  void imageBlocksComeBackWhole() {
    byte[] pixels = new byte[3 * 2 * 5 * 4];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 37);
    }
    ImageBlock contiguous = new ImageBlock(2, 5, 4, 1000, pixels, new int[] {4, -1, 9});
    ImageBlock mixed = new ImageBlock(2, 5, 4, new long[] {7, 12, 40}, pixels, new int[] {1, 2, 3});
    for (SerializerInstance s : BOTH) {
      for (ImageBlock b : new ImageBlock[] {contiguous, mixed}) {
        ImageBlock back = Shipping.roundTrip(s, b);
        assertEquals(b.imageSize(), back.imageSize());
        assertEquals(b.channels() + "x" + b.height() + "x" + b.width(), back.channels() + "x" + back.height() + "x" + back.width());
        assertEquals(b.count(), back.count());
        assertEquals(b.contiguous(), back.contiguous());
        for (int i = 0; i < b.count(); i++) {
          assertEquals(b.index(i), back.index(i));
        }
        assertArrayEquals(b.pixels(), back.pixels());
        assertArrayEquals(b.labels(), back.labels());
      }
    }
  }

  @Test
  void roundResultsComeBackWhole() {
    float[] params = {1.5f, Float.NaN, -0f, 3e-39f};
    float[] state = {0.25f, Float.POSITIVE_INFINITY};
    PartitionResult r = new PartitionResult(3, 640, 1234.5, 600, 20, params, state, "openblas-0.3.31", 7.25)
        .withFetchSeconds(0.5);
    PartitionResult empty = new PartitionResult(1, 0, 0, 0, 0, null, null, "java", 0);
    RoundSummary summary = new RoundSummary(r);
    for (SerializerInstance s : BOTH) {
      PartitionResult back = Shipping.roundTrip(s, r);
      assertEquals(3, back.partition());
      assertEquals(640, back.count());
      assertEquals(1234.5, back.lossSum());
      assertEquals(600, back.correct());
      assertEquals(20, back.steps());
      assertArrayEquals(params, back.params());
      assertArrayEquals(state, back.state());
      assertEquals("openblas-0.3.31", back.kernels());
      assertEquals(7.25, back.seconds());
      assertEquals(0.5, back.fetchSeconds());
      assertNull(Shipping.roundTrip(s, empty).params());

      RoundSummary sBack = Shipping.roundTrip(s, summary);
      assertEquals(RoundSummary.PARAM, sBack.badKind());
      assertEquals(1, sBack.badIndex());
      assertTrue(Double.isNaN(sBack.badValue()));
      assertEquals(summary.lossSum() + " " + summary.kernels() + " " + summary.fetchSeconds(),
          sBack.lossSum() + " " + sBack.kernels() + " " + sBack.fetchSeconds());

      RoundPiece piece = Shipping.roundTrip(s, new RoundPiece(3, 640, params, summary));
      assertEquals(640, piece.count());
      assertArrayEquals(params, piece.values());
      assertEquals(3, piece.summary().partition());
      assertNull(Shipping.roundTrip(s, new RoundPiece(2, 0, null, null)).summary());

      ReducedShard shard = Shipping.roundTrip(s, new ReducedShard(2, params, state, new RoundSummary[] {summary}, 1.5));
      assertEquals(2, shard.shard());
      assertArrayEquals(params, shard.values());
      assertArrayEquals(state, shard.outer());
      assertEquals(640, shard.summaries()[0].count());
      assertEquals(1.5, shard.seconds());
    }
  }

  /** A partition result of 20,000 floats: Java serialization adds about what Kryo adds (measured: 170 and 76 bytes). */
  @Test
  void javaSerializationWritesThePayloadAndLittleElse() {
    float[] params = new float[10_000];
    float[] state = new float[10_000];
    PartitionResult r = new PartitionResult(3, 640, 1234.5, 600, 20, params, state, "openblas-0.3.31", 7.25);
    int payload = 4 * (params.length + state.length);
    int java = Shipping.bytes(Shipping.java(), r).length;
    int kryo = Shipping.bytes(Shipping.kryo(), r).length;
    assertTrue(java < payload + 400, "Java serialization: " + java + " bytes for " + payload + " bytes of floats");
    assertTrue(kryo < payload + 200, "Kryo: " + kryo + " bytes for " + payload + " bytes of floats");
  }
}
