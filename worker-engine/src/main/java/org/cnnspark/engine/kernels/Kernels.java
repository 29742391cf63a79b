package org.cnnspark.engine.kernels;

import java.util.Locale;
import java.util.logging.Logger;

/**
 * Picks the kernel backend once per JVM: oneDNN's sgemm on x86-64 when it loads, else OpenBLAS,
 * else pure Java, and logs exactly one line saying which and why.
 * {@code -Dcnnspark.kernels=dnnl|openblas|java|auto} overrides ({@code native} is OpenBLAS, its old name).
 */
public final class Kernels {
  private static final Logger LOG = Logger.getLogger(Kernels.class.getName());
  private static volatile Gemm selected;
  private static volatile String reason;

  private Kernels() {}

  /** The backend this JVM uses. */
  public static Gemm gemm() {
    Gemm g = selected;
    if (g == null) {
      synchronized (Kernels.class) {
        if (selected == null) {
          selected = choose(System.getProperty("cnnspark.kernels", "auto"));
          LOG.info(description());
        }
        g = selected;
      }
    }
    return g;
  }

  /** One line: the backend and why it was chosen. */
  public static String description() {
    gemm();
    return "cnn-spark kernels: " + selected.name() + " (" + reason + "); " + ArrayOps.description();
  }

  /** A fresh backend by name, for tests and benchmarks that compare them. */
  public static Gemm byName(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "java" -> new JavaGemm();
      case "native", "openblas" -> new OpenBlasGemm();
      case "dnnl", "onednn" -> new DnnlGemm();
      default -> throw new IllegalArgumentException("unknown kernel backend '" + name + "': use dnnl, openblas or java");
    };
  }

  /** A JavaCPP preset's name with its library's version, e.g. {@code dnnl-3.8.1} (the bare name when unknown). */
  static String versionedName(String artifact) {
    String version;
    try {
      version = org.bytedeco.javacpp.Loader.getVersion("org.bytedeco", artifact);
    } catch (java.io.IOException e) {
      version = null;
    }
    return version == null ? artifact : artifact + "-" + version.replaceFirst("-[0-9.]+$", "");
  }

  /** An AMD CPU (Zen 4 or later) with the AVX-512 subsets OpenBLAS's SkylakeX kernels use, from /proc/cpuinfo. */
  static boolean amdWithAvx512() {
    try {
      String info = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
      String flags = info.lines().filter(l -> l.startsWith("flags")).findFirst().orElse("") + " ";
      return info.contains("AuthenticAMD") && java.util.stream.Stream.of("avx512f", "avx512bw", "avx512dq", "avx512vl")
          .allMatch(f -> flags.contains(" " + f + " "));
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  private static Gemm choose(String wanted) {
    switch (wanted.toLowerCase(Locale.ROOT)) {
      case "java":
        reason = "-Dcnnspark.kernels=java";
        return new JavaGemm();
      case "native", "openblas":
        reason = "-Dcnnspark.kernels=" + wanted;
        return new OpenBlasGemm(); // asked for explicitly: fail loudly
      case "dnnl", "onednn":
        reason = "-Dcnnspark.kernels=" + wanted;
        return new DnnlGemm();
      default:
        String dnnlFailure = null;
        if ("amd64".equals(System.getProperty("os.arch"))) { // the one platform the jar ships oneDNN for
          try {
            Gemm g = new DnnlGemm();
            reason = "native library loaded for linux-x86_64; it picks its own kernels for this CPU";
            return g;
          } catch (Throwable t) {
            dnnlFailure = "oneDNN did not load (" + t + ")";
          }
        }
        try {
          Gemm g = new OpenBlasGemm();
          reason = (dnnlFailure == null ? "" : dnnlFailure + "; ")
              + "native library loaded for " + System.getProperty("os.name") + "-" + System.getProperty("os.arch")
              + (System.getenv("OPENBLAS_CORETYPE") != null ? "; OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE")
                  : amdWithAvx512() ? "; this AMD CPU has AVX-512 but OpenBLAS picks its AVX2 kernels for it: set"
                  + " OPENBLAS_CORETYPE=SkylakeX before the JVM starts (spark.executorEnv.OPENBLAS_CORETYPE on a cluster)"
                  + " for about twice the speed" : "");
          return g;
        } catch (Throwable t) {
          reason = (dnnlFailure == null ? "" : dnnlFailure + "; ")
              + "native OpenBLAS did not load (" + t + "); falling back to pure Java, expect ~20x slower training";
          return new JavaGemm();
        }
    }
  }
}
