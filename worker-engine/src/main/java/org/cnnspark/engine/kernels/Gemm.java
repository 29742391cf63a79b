package org.cnnspark.engine.kernels;

import java.nio.FloatBuffer;

/**
 * Single-precision matrix multiply on off-heap buffers, row-major:
 * {@code C[off..] = alpha * op(A) * op(B) + beta * C}, op(X) = X or X^T.
 * op(A) is (M, K), op(B) is (K, N), C is (M, N). Offsets and leading dimensions are in floats.
 * Implementations are single-threaded and deterministic: the same inputs give the same bits.
 */
public interface Gemm {

  void sgemm(boolean transA, boolean transB, int m, int n, int k,
             float alpha, FloatBuffer a, int aOff, int lda,
             FloatBuffer b, int bOff, int ldb,
             float beta, FloatBuffer c, int cOff, int ldc);

  /** Short name for logs and provenance, e.g. {@code dnnl-3.8.1}, {@code openblas-0.3.30} or {@code java}. */
  String name();
}
