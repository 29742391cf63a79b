package org.cnnspark.engine.kernels;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.dnnl.global.dnnl;

/**
 * oneDNN's sgemm through JavaCPP: the library PyTorch's CPU convolutions run on. It picks its
 * kernels from the CPU's vector extensions itself (AVX-512 where there is some), whatever
 * OPENBLAS_CORETYPE says. Each calling thread is pinned to one OpenMP thread on its first call:
 * the engine parallelises over the batch, and Spark runs a task per core.
 */
public final class DnnlGemm implements Gemm {
  private static IntCall setOmpThreads;
  private static final ThreadLocal<Boolean> PINNED = ThreadLocal.withInitial(() -> Boolean.FALSE);
  private final String name;

  /** Loads the native library; throws (any Throwable) when it cannot. */
  public DnnlGemm() {
    loadOnce();
    name = Kernels.versionedName("dnnl");
  }

  private static synchronized void loadOnce() {
    if (setOmpThreads != null) {
      return;
    }
    // IntCall's class is the OpenBLAS preset's and loads OpenBLAS: load it our way, so that its idle
    // thread pool is stopped
    OpenBlasGemm.loadOnce();
    Loader.load(dnnl.class);
    Pointer p = Loader.addressof("omp_set_num_threads");
    if (p == null || p.isNull()) {
      throw new UnsatisfiedLinkError("oneDNN loaded without its OpenMP runtime (omp_set_num_threads not found)");
    }
    setOmpThreads = (IntCall) new IntCall().put(p);
  }

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                    float alpha, FloatBuffer a, int aOff, int lda,
                    FloatBuffer b, int bOff, int ldb,
                    float beta, FloatBuffer c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    if (alpha == 0f) {
      scale(beta, m, n, c, cOff, ldc); // oneDNN gives NaN here when C holds one, even with beta 0
      return;
    }
    if (!PINNED.get()) {
      // omp_set_num_threads sets the calling thread's own OpenMP setting, so once per thread
      setOmpThreads.call(1);
      PINNED.set(Boolean.TRUE);
    }
    int status = dnnl.dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), m, n, k, alpha,
        a.slice(aOff, a.capacity() - aOff), lda, b.slice(bOff, b.capacity() - bOff), ldb, beta,
        c.slice(cOff, c.capacity() - cOff), ldc);
    if (status != dnnl.dnnl_success) {
      throw new IllegalStateException("oneDNN sgemm failed with status " + status + " (m=" + m + ", n=" + n + ", k=" + k
          + ", lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc + ")");
    }
  }

  /** C = beta * C, without reading C when beta is 0 (BLAS's rule). */
  private static void scale(float beta, int m, int n, FloatBuffer c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int at = cOff + i * ldc + j;
        c.put(at, beta == 0f ? 0f : beta * c.get(at));
      }
    }
  }

  @Override
  public String name() {
    return name;
  }
}
