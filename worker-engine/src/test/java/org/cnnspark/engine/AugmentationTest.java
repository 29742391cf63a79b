package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * --augment: every augmented image is a shifted (zero-filled) and possibly mirrored copy of its
 * source, within the padding; the same seed gives the same images; the caller's pixels are untouched.
 */
class AugmentationTest {
  static final Shape S = new Shape(2, 5, 6);

  static byte[] images(int n) {
    byte[] px = new byte[n * S.size()];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (1 + i % 250); // never 0: a 0 in the output is padding
    }
    return px;
  }

  @Test
  void everyImageIsAShiftedPossiblyMirroredCopy() {
    Augmentation a = Augmentation.parse("crop=2,flip");
    int n = 64;
    byte[] src = images(n + 3);
    byte[] out = new byte[n * S.size()];
    a.apply(src, 3, n, S, 77, out);
    int mirrored = 0;
    int shifted = 0;
    for (int i = 0; i < n; i++) {
      int[] found = match(src, 3 + i, out, i, 2);
      assertTrue(found != null, "image " + i + " is no shift of its source within 2 pixels, mirrored or not");
      mirrored += found[2];
      shifted += found[0] != 0 || found[1] != 0 ? 1 : 0;
    }
    assertTrue(mirrored > 16 && mirrored < 48, "about half mirrored: " + mirrored);
    assertTrue(shifted > 40, "most shifted: " + shifted);
    byte[] again = new byte[out.length];
    a.apply(src, 3, n, S, 77, again);
    assertArrayEquals(out, again, "the same seed, the same images");
    a.apply(src, 3, n, S, 78, again);
    assertFalse(Arrays.equals(out, again), "another step, other images");
  }

  /** {dy, dx, mirrored} such that out image j = src image i shifted (and mirrored), or null. */
  private static int[] match(byte[] src, int i, byte[] out, int j, int pad) {
    for (int m = 0; m < 2; m++) {
      for (int dy = -pad; dy <= pad; dy++) {
        for (int dx = -pad; dx <= pad; dx++) {
          boolean ok = true;
          for (int c = 0; c < S.c() && ok; c++) {
            for (int y = 0; y < S.h() && ok; y++) {
              for (int x = 0; x < S.w() && ok; x++) {
                int sy = y + dy;
                int sx = (m == 1 ? S.w() - 1 - x : x) + dx;
                byte want = sy >= 0 && sy < S.h() && sx >= 0 && sx < S.w()
                    ? src[i * S.size() + c * S.h() * S.w() + sy * S.w() + sx] : 0;
                ok = out[j * S.size() + c * S.h() * S.w() + y * S.w() + x] == want;
              }
            }
          }
          if (ok) {
            return new int[] {dy, dx, m};
          }
        }
      }
    }
    return null;
  }

  @Test
  void noneIsTheIdentityAndTrainingLeavesTheCallersPixelsAlone() {
    byte[] src = images(4);
    byte[] out = new byte[src.length];
    Augmentation.NONE.apply(src, 0, 4, S, 1, out);
    assertArrayEquals(src, out);

    Network net = Network.create(ModelSpec.parse("flatten dense(10)"), S, Init.PYTORCH, 1);
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.1, 0, false, 0), 1, Normalization.SCALE_ONLY)) {
      t.setAugmentation(Augmentation.parse("crop=1,flip"));
      byte[] copy = src.clone();
      t.trainBatch(src, new int[] {1, 2, 3, 4}, 0, 4, 9);
      assertArrayEquals(copy, src);
    }
  }

  @Test
  void textRoundTrips() {
    for (String t : new String[] {"none", "flip", "crop=4", "crop=4,flip"}) {
      assertEquals(t, Augmentation.parse(t).text());
    }
    assertEquals(new Augmentation(3, true), Augmentation.parse(" Flip, crop=3 "));
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "crop=x; crop takes a padding in pixels",
      "crop=-1; the padding must be in [0, 64]",
      "rotate=10; unknown 'rotate=10'",
  })
  void badTextIsRefused(String text, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Augmentation.parse(text));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
