package org.cnnspark.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API versions of {@link ArrayOps}; loaded only when the module is present. */
final class VectorOps {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private VectorOps() {}

  static void addTo(float[] dst, int d, float[] src, int s, int n) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += F.length()) {
      FloatVector.fromArray(F, dst, d + i).add(FloatVector.fromArray(F, src, s + i)).intoArray(dst, d + i);
    }
    for (; i < n; i++) {
      dst[d + i] += src[s + i];
    }
  }
}
