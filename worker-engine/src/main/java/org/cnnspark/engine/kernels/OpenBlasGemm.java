package org.cnnspark.engine.kernels;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * OpenBLAS sgemm through JavaCPP. Buffers are direct, so JavaCPP hands OpenBLAS their addresses:
 * no copy across JNI. OpenBLAS is pinned to one thread; the engine parallelises over the batch.
 */
public final class OpenBlasGemm implements Gemm {
  private final String name;

  /** Loads the native library; throws (any Throwable) when it cannot. */
  public OpenBlasGemm() {
    Loader.load(openblas_nolapack.class);
    openblas_nolapack.blas_set_num_threads(1);
    String version;
    try {
      version = Loader.getVersion("org.bytedeco", "openblas");
    } catch (java.io.IOException e) {
      version = null;
    }
    name = version == null ? "openblas" : "openblas-" + version.replaceFirst("-[0-9.]+$", "");
  }

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                    float alpha, FloatBuffer a, int aOff, int lda,
                    FloatBuffer b, int bOff, int ldb,
                    float beta, FloatBuffer c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
        transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
        transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
        m, n, k, alpha, a.slice(aOff, a.capacity() - aOff), lda,
        b.slice(bOff, b.capacity() - bOff), ldb, beta, c.slice(cOff, c.capacity() - cOff), ldc);
  }

  @Override
  public String name() {
    return name;
  }
}
