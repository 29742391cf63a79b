package org.cnnspark.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
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

  static void maxPool2x2Row(float[] g, int top, int down, int windows, int c, float[] bias, boolean relu,
                            float[] out, int o, float[] code, int k) {
    int end = F.loopBound(c);
    FloatVector zero = FloatVector.zero(F);
    FloatVector one = FloatVector.broadcast(F, 1f);
    FloatVector two = FloatVector.broadcast(F, 2f);
    FloatVector three = FloatVector.broadcast(F, 3f);
    FloatVector four = FloatVector.broadcast(F, 4f);
    for (int w = 0; w < windows; w++) {
      int i0 = top + 2 * w * c;
      int i1 = i0 + c;
      int i2 = i0 + down;
      int i3 = i2 + c;
      int ow = o + w * c;
      int kw = k + w * c;
      int ch = 0;
      for (; ch < end; ch += F.length()) {
        FloatVector v0 = FloatVector.fromArray(F, g, i0 + ch);
        FloatVector v1 = FloatVector.fromArray(F, g, i1 + ch);
        FloatVector v2 = FloatVector.fromArray(F, g, i2 + ch);
        FloatVector v3 = FloatVector.fromArray(F, g, i3 + ch);
        FloatVector m01 = v0.max(v1);
        FloatVector m23 = v2.max(v3);
        FloatVector c01 = zero.blend(one, v1.compare(VectorOperators.GT, v0));
        FloatVector c23 = two.blend(three, v3.compare(VectorOperators.GT, v2));
        VectorMask<Float> lower = m23.compare(VectorOperators.GT, m01);
        FloatVector m = m01.blend(m23, lower).add(FloatVector.fromArray(F, bias, ch));
        FloatVector cell = c01.blend(c23, lower);
        if (relu) {
          VectorMask<Float> dead = m.compare(VectorOperators.GT, 0f).not();
          m = m.blend(zero, dead);
          cell = cell.blend(four, dead);
        }
        m.intoArray(out, ow + ch);
        cell.intoArray(code, kw + ch);
      }
      ArrayOps.maxPool2x2Tail(g, i0, i1, i2, i3, ch, c, bias, relu, out, ow, code, kw);
    }
  }

  static void maxUnpool2x2Row(float[] dy, int d, float[] code, int k, float[] g, int top, int down,
                              int windows, int c) {
    int end = F.loopBound(c);
    FloatVector zero = FloatVector.zero(F);
    for (int w = 0; w < windows; w++) {
      int i0 = top + 2 * w * c;
      int i1 = i0 + c;
      int i2 = i0 + down;
      int i3 = i2 + c;
      int dw = d + w * c;
      int kw = k + w * c;
      int ch = 0;
      for (; ch < end; ch += F.length()) {
        FloatVector v = FloatVector.fromArray(F, dy, dw + ch);
        FloatVector cell = FloatVector.fromArray(F, code, kw + ch);
        zero.blend(v, cell.compare(VectorOperators.EQ, 0f)).intoArray(g, i0 + ch);
        zero.blend(v, cell.compare(VectorOperators.EQ, 1f)).intoArray(g, i1 + ch);
        zero.blend(v, cell.compare(VectorOperators.EQ, 2f)).intoArray(g, i2 + ch);
        zero.blend(v, cell.compare(VectorOperators.EQ, 3f)).intoArray(g, i3 + ch);
        v.blend(zero, cell.compare(VectorOperators.EQ, 4f)).intoArray(dy, dw + ch);
      }
      ArrayOps.maxUnpool2x2Tail(dy, dw, code, kw, g, i0, i1, i2, i3, ch, c);
    }
  }

  static void relu(float[] a, int n) {
    FloatVector zero = FloatVector.zero(F);
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, a, i);
      v.blend(zero, v.compare(VectorOperators.GT, 0f).not()).intoArray(a, i);
    }
    for (; i < n; i++) {
      a[i] = a[i] > 0f ? a[i] : 0f;
    }
  }

  static void reluGradient(float[] y, float[] dy, int n) {
    FloatVector zero = FloatVector.zero(F);
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += F.length()) {
      FloatVector d = FloatVector.fromArray(F, dy, i);
      d.blend(zero, FloatVector.fromArray(F, y, i).compare(VectorOperators.GT, 0f).not()).intoArray(dy, i);
    }
    for (; i < n; i++) {
      dy[i] = y[i] > 0f ? dy[i] : 0f;
    }
  }
}
