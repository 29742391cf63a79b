package org.cnnspark.engine.kernels;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * OpenBLAS sgemm through JavaCPP. Buffers are direct, so JavaCPP hands OpenBLAS their addresses:
 * no copy across JNI. OpenBLAS is pinned to one thread; the engine parallelises over the batch.
 */
public final class OpenBlasGemm implements Gemm {
  private static boolean loaded;
  private final String name;

  /** Loads the native library; throws (any Throwable) when it cannot. */
  public OpenBlasGemm() {
    loadOnce();
    name = Kernels.versionedName("openblas");
  }

  /**
   * Loads OpenBLAS, pins it to one thread and stops its idle thread pool, once per JVM. The pool
   * starts when the library loads (one thread per core unless OPENBLAS_NUM_THREADS says otherwise),
   * before Java can act, and setting one thread does not stop it. Once per JVM because OpenBLAS's
   * set-threads call restarts a stopped pool; sgemm on one thread never does.
   */
  static synchronized void loadOnce() {
    if (loaded) {
      return;
    }
    Loader.load(openblas_nolapack.class);
    openblas_nolapack.blas_set_num_threads(1);
    // blas_thread_shutdown_ (exported by OpenBLAS for its own fork handler) joins the pool's threads;
    // absent when org.bytedeco.openblas.load picked another BLAS, whose threads the line above set.
    Pointer shutdown = Loader.addressof("blas_thread_shutdown_");
    if (shutdown != null && !shutdown.isNull()) {
      // int blas_thread_shutdown_(void) through a void(int) pointer: on the two ABIs shipped (x86-64,
      // AArch64) the unused argument sits in a register the callee ignores and the result is dropped,
      // as OpenBLAS's own pthread_atfork registration of it as void(void) relies on
      new IntCall().put(shutdown).call(0);
    }
    loaded = true;
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
