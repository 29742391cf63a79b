package org.cnnspark.engine.kernels;

import java.nio.FloatBuffer;

/**
 * The pure-Java GEMM: the oracle for the native one and the fallback when it does not load.
 * Operands are copied to heap arrays (op(A) row-major, op(B) row-major), because C2 vectorises
 * loops over arrays but not over direct buffers; then C += alpha * A B runs row by row with the
 * innermost loop along a row of B and of C (i-k-j), accumulating in float like BLAS.
 */
public final class JavaGemm implements Gemm {

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                    float alpha, FloatBuffer a, int aOff, int lda,
                    FloatBuffer b, int bOff, int ldb,
                    float beta, FloatBuffer c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    float[] am = new float[m * k];
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        am[i * k + p] = transA ? a.get(aOff + p * lda + i) : a.get(aOff + i * lda + p);
      }
    }
    float[] bm = new float[k * n];
    for (int p = 0; p < k; p++) {
      if (transB) {
        for (int j = 0; j < n; j++) {
          bm[p * n + j] = b.get(bOff + j * ldb + p);
        }
      } else {
        b.get(bOff + p * ldb, bm, p * n, n);
      }
    }
    float[] row = new float[n];
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * ldc;
      if (beta == 0f) {
        java.util.Arrays.fill(row, 0f);
      } else {
        c.get(ci, row, 0, n);
        if (beta != 1f) {
          for (int j = 0; j < n; j++) {
            row[j] *= beta;
          }
        }
      }
      for (int p = 0; p < k; p++) {
        float av = alpha * am[i * k + p];
        int bp = p * n;
        for (int j = 0; j < n; j++) {
          row[j] += av * bm[bp + j];
        }
      }
      c.put(ci, row, 0, n);
    }
  }

  @Override
  public String name() {
    return "java";
  }
}
