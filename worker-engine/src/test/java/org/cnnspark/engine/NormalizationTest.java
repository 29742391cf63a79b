package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** --normalize's text: the forms it takes, what it refuses, and the arithmetic it stands for. */
class NormalizationTest {
  @Test
  void formsParseAndPrintBack() {
    assertSame(Normalization.SCALE_ONLY, Normalization.parse("none"));
    assertSame(Normalization.IMAGENET, Normalization.parse(" ImageNet "));
    Normalization n = Normalization.parse("mean=0.5,0.25,0,std=0.5,1,2");
    assertArrayEquals(new float[] {0.5f, 0.25f, 0f}, n.mean());
    assertArrayEquals(new float[] {0.5f, 1f, 2f}, n.std());
    Normalization swapped = Normalization.parse("std=0.353, mean=0.286");
    assertArrayEquals(new float[] {0.286f}, swapped.mean());
    assertArrayEquals(new float[] {0.353f}, swapped.std());
    assertArrayEquals(n.mean(), Normalization.parse(n.text()).mean());
    assertArrayEquals(n.std(), Normalization.parse(n.text()).std());
    assertEquals("none", Normalization.SCALE_ONLY.text());
  }

  @Test
  void appliesTorchvisionsNormalize() {
    Normalization n = Normalization.parse("mean=0.5,0.25,std=0.5,2");
    byte[] px = {(byte) 255, 0, (byte) 51, (byte) 102}; // one 2x1x2 image: channel 0 = {255, 0}, channel 1 = {51, 102}
    FloatBuffer x = Buffers.allocate(4);
    n.apply(px, 0, 1, new Shape(2, 1, 2), x);
    assertArrayEquals(new float[] {1f, -1f, (0.2f - 0.25f) / 2, (0.4f - 0.25f) / 2}, Buffers.toArray(x, 4), 1e-6f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Normalization.IMAGENET.check(Shape.parse("1x28x28")));
    assertTrue(e.getMessage().contains("normalisation has 3 channels but the input 1x28x28 has 1"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "mean=0.5; give none, imagenet, or mean=",
      "mean=0.5,0.5,std=0.2; has 2 means and 1 stds",
      "mean=a,std=1; 'a' is not a number",
      "mean=0,std=0; std must be > 0",
      "mean=0,std=NaN; 'nan' is not a number",
      "mean=0,std=1e99; is not finite",
      "imagenette; give none, imagenet",
  })
  void badTextIsRefused(String text, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Normalization.parse(text));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
