package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.serializer.SerializerInstance;
import org.cnnspark.driver.Shipping;
import org.cnnspark.engine.Shape;
import org.junit.jupiter.api.Test;

/** Conversions without a Spark session: resize, gray/RGB, BGR structs, decoding, partition bounds, read slices. */
class PixelsTest {

  @Test
  void bilinearUpscaleUsesHalfPixelCentres() {
    // 1x2 -> 1x4: source positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the last pixel)
    Pixels p = new Pixels(1, 1, 2, new byte[] {0, 100}).resized(1, 4);
    assertArrayEquals(new byte[] {0, 25, 75, 100}, p.data());
  }

  @Test
  void halvingAveragesTwoByTwoBlocks() {
    Random random = new Random(7);
    byte[] data = new byte[2 * 6 * 8];
    random.nextBytes(data);
    Pixels half = new Pixels(2, 6, 8, data).resized(3, 4);
    for (int c = 0; c < 2; c++) {
      for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 4; x++) {
          double sum = 0;
          for (int dy = 0; dy < 2; dy++) {
            for (int dx = 0; dx < 2; dx++) {
              sum += data[c * 48 + (2 * y + dy) * 8 + 2 * x + dx] & 0xff;
            }
          }
          assertEquals(Math.round(sum / 4), half.data()[c * 12 + y * 4 + x] & 0xff, 0, "at " + c + "," + y + "," + x);
        }
      }
    }
  }

  @Test
  void resizeKeepsConstantsAndIdentity() {
    byte[] gray = new byte[5 * 7];
    Arrays.fill(gray, (byte) 200);
    Pixels up = new Pixels(1, 5, 7, gray).resized(11, 3);
    for (byte b : up.data()) {
      assertEquals(200, b & 0xff);
    }
    Pixels same = new Pixels(1, 5, 7, gray);
    assertTrue(same.resized(5, 7) == same);
  }

  @Test
  void grayAndRgbConversions() {
    Pixels rgb = new Pixels(3, 1, 2, new byte[] {(byte) 255, 0, 0, (byte) 255, 0, 0});
    // ITU-R 601 luma as PIL: red 255 -> 76, green 255 -> 150
    assertArrayEquals(new byte[] {76, (byte) 150}, rgb.withChannels(1).data());
    Pixels gray = new Pixels(1, 1, 2, new byte[] {9, 10});
    assertArrayEquals(new byte[] {9, 10, 9, 10, 9, 10}, gray.withChannels(3).data());
    assertThrows(IllegalArgumentException.class, () -> gray.withChannels(2));
  }

  @Test
  void bgrStructBecomesRgbPlanes() throws BadRecordException {
    byte[] bgra = {1, 2, 3, 4, 5, 6, 7, 8};
    Pixels p = Pixels.fromInterleavedBgr(bgra, 1, 2, 4);
    assertArrayEquals(new byte[] {3, 7, 2, 6, 1, 5}, p.data());
    BadRecordException e = assertThrows(BadRecordException.class, () -> Pixels.fromInterleavedBgr(bgra, 2, 2, 3));
    assertTrue(e.getMessage().contains("needs 12 data bytes but holds 8"), e.getMessage());
  }

  @Test
  void decodesPngExactlyAndRefusesGarbage() throws IOException, BadRecordException {
    BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
    byte[] values = {0, 1, 127, (byte) 128, (byte) 254, (byte) 255};
    img.getRaster().setDataElements(0, 0, 3, 2, values);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    Pixels p = Pixels.decode(png.toByteArray());
    assertEquals(new Shape(1, 2, 3), new Shape(p.c(), p.h(), p.w()));
    assertArrayEquals(values, p.data());
    BadRecordException e = assertThrows(BadRecordException.class, () -> Pixels.decode(new byte[] {1, 2, 3}));
    assertTrue(e.getMessage().contains("no image decoder recognises"), e.getMessage());
    // Noise does not compress: half the file is half the pixels.
    BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
    byte[] random = new byte[64 * 64];
    new Random(3).nextBytes(random);
    noise.getRaster().setDataElements(0, 0, 64, 64, random);
    ByteArrayOutputStream noisePng = new ByteArrayOutputStream();
    ImageIO.write(noise, "png", noisePng);
    byte[] cut = Arrays.copyOf(noisePng.toByteArray(), noisePng.size() / 2);
    e = assertThrows(BadRecordException.class, () -> Pixels.decode(cut));
    assertTrue(e.getMessage().contains("damaged PNG"), e.getMessage());
  }

  @Test
  void boundsSplitEvenlyFirstPartitionsLarger() {
    assertArrayEquals(new long[] {0, 4, 7, 10}, ReadSlice.bounds(10, 3));
    assertArrayEquals(new long[] {0, 1, 2, 2, 2}, ReadSlice.bounds(2, 4));
    long[] b = ReadSlice.bounds(2, 4);
    assertEquals(0, ReadSlice.partitionOf(0, b));
    assertEquals(1, ReadSlice.partitionOf(1, b));
    long[] gaps = {0, 0, 3, 3, 5};
    assertEquals(1, ReadSlice.partitionOf(0, gaps));
    assertEquals(3, ReadSlice.partitionOf(4, gaps));
    assertEquals(new Shape(1, 28, 28), DataFrameSource.squareShape(784));
    assertEquals(new Shape(3, 32, 32), DataFrameSource.squareShape(3072));
    assertEquals(null, DataFrameSource.squareShape(10));
  }

  /** A read slice travels to its task inside Spark's partition, written by the session's serializer. */
  @Test
  void readSlicesComeBackWholeFromBothSerializers() {
    ReadSlice slice = new ReadSlice(2, 17, 3, new String[] {"a.png", "b.png", "c.png"}, null, new long[] {10, 20, 30},
        new int[] {0, 4, 1});
    for (SerializerInstance s : new SerializerInstance[] {Shipping.java(), Shipping.kryo()}) {
      ReadSlice back = Shipping.roundTrip(s, slice);
      assertEquals(2, back.partition);
      assertEquals(17, back.firstIndex);
      assertEquals(3, back.records);
      assertArrayEquals(slice.paths, back.paths);
      assertEquals(null, back.starts);
      assertArrayEquals(slice.counts, back.counts);
      assertArrayEquals(slice.labels, back.labels);
    }
  }
}
