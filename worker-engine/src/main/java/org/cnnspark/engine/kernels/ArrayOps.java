package org.cnnspark.engine.kernels;

/**
 * Element-wise loops over heap arrays that C2 does not vectorise by itself: with two arrays at
 * unrelated offsets it cannot rule out overlap, so {@code dst[d+i] += src[s+i]} stays scalar
 * (measured: ~1 ns per element, 5x the vector version). When the JVM has the incubating Vector
 * API module ({@code --add-modules=jdk.incubator.vector}, which bin/cnn-spark and Spark 4 both
 * pass) the loops use it; otherwise, or with {@code -Dcnnspark.vector=false}, plain loops. Both
 * do the same float operations element by element, so the results are the same bits.
 */
public final class ArrayOps {
  /** Whether the Vector API path is on. */
  public static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !"false".equals(System.getProperty("cnnspark.vector"));

  private ArrayOps() {}

  /** dst[d, d+n) += src[s, s+n). */
  public static void addTo(float[] dst, int d, float[] src, int s, int n) {
    if (VECTOR) {
      VectorOps.addTo(dst, d, src, s, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      dst[d + i] += src[s + i];
    }
  }

  /** Describes the path for the kernel log line. */
  static String description() {
    return VECTOR ? "Vector API on" : "Vector API off (add --add-modules=jdk.incubator.vector to the JVM flags)";
  }
}
