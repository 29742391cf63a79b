package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.layers.Layer;

/**
 * Test helpers shared by the numerical tests: random tensors, a backward pass that also returns
 * the gradient with respect to the network's input (Network.backward does not form it), and a
 * closeness check scaled to the size of the numbers compared.
 */
final class Probe {
  private Probe() {}

  private static final java.util.Map<String, Object> NATIVE = new java.util.HashMap<>();

  /**
   * A kernel backend by name; for "native" (OpenBLAS) and "dnnl", skips the calling test (JUnit
   * assumption) when the natives do not load on this platform, saying why.
   */
  static synchronized Gemm backend(String name) {
    if (!name.equals("native") && !name.equals("dnnl")) {
      return Kernels.byName(name);
    }
    Object got = NATIVE.computeIfAbsent(name, n -> {
      try {
        return Kernels.byName(n);
      } catch (Throwable t) {
        return t.toString();
      }
    });
    assumeTrue(got instanceof Gemm, name + " kernels did not load here (" + got + "); the jar ships OpenBLAS for"
        + " linux-x86_64 and linux-arm64, oneDNN for linux-x86_64: those tests skipped");
    return (Gemm) got;
  }

  static float[] gaussian(int n, SplittableRandom rng) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }

  static FloatBuffer gaussianBuffer(int n, SplittableRandom rng) {
    return Buffers.of(gaussian(n, rng));
  }

  /** Logits of the last forward, copied out of the network's buffer. */
  static float[] forward(Network net, FloatBuffer x, int n, boolean training, long seed) {
    return Buffers.toArray(net.forward(x, n, training, seed), n * net.numClasses());
  }

  /**
   * Backward through every layer, asking each for its input gradient; adds into net.grads() like
   * {@link Network#backward}. Returns dL/dx (n, C, H, W).
   */
  static float[] backwardWithInputGradient(Network net, float[] dLogits, int n) {
    FloatBuffer cur = Buffers.of(dLogits);
    List<Layer> layers = net.layers();
    for (int i = layers.size() - 1; i >= 0; i--) {
      cur = layers.get(i).backward(cur, n, true);
    }
    return Buffers.toArray(cur, n * net.inputShape().size());
  }

  static float[] grads(Network net, ParamView v) {
    return Buffers.toArray(net.grads().slice(v.offset(), v.size()), v.size());
  }

  static float[] params(Network net, ParamView v) {
    return Buffers.toArray(net.params().slice(v.offset(), v.size()), v.size());
  }

  /** Overwrites one tensor of the network. */
  static void set(Network net, ParamView v, float[] values) {
    assertEquals(v.size(), values.length, v.name());
    net.params().put(v.offset(), values);
  }

  /** Root mean square; the scale errors are measured against. */
  static double rms(float[] a) {
    double s = 0;
    for (float v : a) {
      s += (double) v * v;
    }
    return a.length == 0 ? 0 : Math.sqrt(s / a.length);
  }

  /**
   * |expected - actual| <= tol * (|expected| + rms(expected)) element-wise: relative for large
   * entries, and relative to the tensor's typical size for entries that nearly cancel.
   */
  static void assertClose(String what, float[] expected, float[] actual, double tol) {
    assertClose(what, expected, actual, tol, 0);
  }

  /** The same with rms(expected) raised to at least floor: for tensors whose true value is ~0. */
  static void assertClose(String what, float[] expected, float[] actual, double tol, double floor) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = Math.max(rms(expected), floor);
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs((double) expected[i] - actual[i]) / (Math.abs(expected[i]) + scale + 1e-30);
      if (!(err <= worst)) { // NaN lands here too
        worst = err;
        at = i;
      }
    }
    String where = at < 0 ? "" : " at [" + at + "]: expected " + expected[at] + ", got " + actual[at];
    assertTrue(worst <= tol, what + ": relative error " + worst + " > " + tol + where);
  }
}
