package org.cnnspark.engine.kernels;

import java.nio.FloatBuffer;

/**
 * The pure-Java GEMM: the oracle for the native one and the fallback when it does not load.
 * Loops are ordered so the innermost one walks C and B rows contiguously (i-k-j), and the
 * accumulation is in float like BLAS, so parity tests compare like with like.
 */
public final class JavaGemm implements Gemm {

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                    float alpha, FloatBuffer a, int aOff, int lda,
                    FloatBuffer b, int bOff, int ldb,
                    float beta, FloatBuffer c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * ldc;
      if (beta == 0f) {
        for (int j = 0; j < n; j++) {
          c.put(ci + j, 0f);
        }
      } else if (beta != 1f) {
        for (int j = 0; j < n; j++) {
          c.put(ci + j, beta * c.get(ci + j));
        }
      }
      for (int p = 0; p < k; p++) {
        float av = alpha * (transA ? a.get(aOff + p * lda + i) : a.get(aOff + i * lda + p));
        if (!transB) {
          int bp = bOff + p * ldb;
          for (int j = 0; j < n; j++) {
            c.put(ci + j, c.get(ci + j) + av * b.get(bp + j));
          }
        } else {
          for (int j = 0; j < n; j++) {
            c.put(ci + j, c.get(ci + j) + av * b.get(bOff + j * ldb + p));
          }
        }
      }
    }
  }

  @Override
  public String name() {
    return "java";
  }
}
