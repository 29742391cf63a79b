package org.cnnspark.engine.kernels;

/**
 * A compiled {@code void(int)} function pointer (the OpenBLAS preset's), aimed at a native
 * function found by name with {@code Loader.addressof}. It spares a native build step of our own.
 */
final class IntCall extends org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads {
  IntCall() {
    super();
  }
}
