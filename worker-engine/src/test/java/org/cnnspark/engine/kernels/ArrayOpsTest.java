package org.cnnspark.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ArrayOpsTest {
  @Test
  void theBuildRunsTheVectorPath() {
    // surefire passes --add-modules=jdk.incubator.vector (cnn.jvm.flags): the fast path must be the one tested
    assertTrue(ArrayOps.VECTOR, "surefire should run with --add-modules=jdk.incubator.vector");
  }

  @Test
  void vectorAddToGivesTheScalarLoopsBitsOnAwkwardLengthsAndOffsets() {
    Random r = new Random(7);
    for (int n : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 63, 224, 1001}) {
      for (int d : new int[] {0, 1, 5}) {
        float[] src = new float[n + 9];
        float[] dst = new float[n + 9];
        for (int i = 0; i < src.length; i++) {
          src[i] = (float) r.nextGaussian();
          dst[i] = (float) r.nextGaussian();
        }
        float[] want = dst.clone();
        for (int i = 0; i < n; i++) {
          want[d + i] += src[3 + i];
        }
        VectorOps.addTo(dst, d, src, 3, n);
        assertArrayEquals(want, dst, 0f, "n=" + n + " d=" + d);
      }
    }
  }

  @Test
  void addToLeavesEverythingOutsideTheRangeAlone() {
    float[] dst = new float[40];
    float[] src = new float[40];
    java.util.Arrays.fill(src, 1f);
    ArrayOps.addTo(dst, 4, src, 0, 19);
    for (int i = 0; i < 40; i++) {
      assertTrue(dst[i] == (i >= 4 && i < 23 ? 1f : 0f), "index " + i);
    }
  }
}
