package org.cnnspark.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Off-heap float buffers. Every tensor the engine touches lives in one, so that native kernels
 * read and write it in place: JavaCPP copies a {@code float[]} on every call (25-40% of a GEMM's time).
 */
public final class Buffers {
  private Buffers() {}

  /** Largest tensor one direct buffer holds: its size in bytes is an int. */
  public static final long MAX_FLOATS = Integer.MAX_VALUE / 4;

  public static FloatBuffer allocate(long n) {
    if (n < 0 || n > MAX_FLOATS) {
      throw new IllegalArgumentException(
          "a tensor of " + n + " floats does not fit one buffer (limit " + MAX_FLOATS + " floats, 2 GiB)");
    }
    return ByteBuffer.allocateDirect((int) (n * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  public static FloatBuffer of(float... values) {
    FloatBuffer b = allocate(values.length);
    b.put(0, values);
    return b;
  }

  public static float[] toArray(FloatBuffer b, int n) {
    float[] a = new float[n];
    b.get(0, a, 0, n);
    return a;
  }

  private static final float[] ZEROS = new float[4096];

  /** Zeroes {@code [off, off+n)}. */
  public static void zero(FloatBuffer b, int off, int n) {
    int chunk = Math.min(n, ZEROS.length);
    for (int i = 0; i < n; i += chunk) {
      b.put(off + i, ZEROS, 0, Math.min(chunk, n - i));
    }
  }

  /** dst[0, n) += src[0, n), through heap tiles (C2 vectorises array loops, not buffer ones). */
  public static void addInto(FloatBuffer dst, FloatBuffer src, int n) {
    float[] a = new float[Math.min(n, 4096)];
    float[] b = new float[a.length];
    for (int off = 0; off < n; off += a.length) {
      int len = Math.min(a.length, n - off);
      dst.get(off, a, 0, len);
      src.get(off, b, 0, len);
      for (int i = 0; i < len; i++) {
        a[i] += b[i];
      }
      dst.put(off, a, 0, len);
    }
  }

  /** Grows {@code b} to at least {@code n} floats (contents are not kept). */
  public static FloatBuffer ensure(FloatBuffer b, long n) {
    return b != null && b.capacity() >= n ? b : allocate(n);
  }
}
