package org.cnnspark.engine.bench;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * Engine throughput: images/s for training steps (forward + backward + SGD-momentum step) and
 * for inference (forward only), the median of several timed runs after a warm-up, on random
 * uint8 images. Compare against PyTorch measured in the same minute (bench/peers/torch_peer.py).
 */
public final class Bench {

  /** One measured cell. */
  public record Result(String mode, Shape input, int threads, int batch, double imgPerS, double[] runs, double imgPerCpuS) {}

  private final ModelSpec spec;
  private final Gemm gemm;
  private final int repeats;
  private final double secondsPerRun;

  public Bench(ModelSpec spec, Gemm gemm, int repeats, double secondsPerRun) {
    if (repeats < 5) {
      throw new IllegalArgumentException("--repeats must be >= 5 for a meaningful median, got " + repeats);
    }
    this.spec = spec;
    this.gemm = gemm;
    this.repeats = repeats;
    this.secondsPerRun = secondsPerRun;
  }

  public Result run(String mode, Shape input, int threads, int batch) {
    boolean train = mode.equals("train");
    Network net = Network.create(spec, input, Init.PYTORCH, 1, gemm);
    int pool = batch * 4;
    byte[] pixels = new byte[pool * input.size()];
    int[] labels = new int[pool];
    SplittableRandom rng = new SplittableRandom(7);
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) rng.nextInt(256);
    }
    for (int i = 0; i < pool; i++) {
      labels[i] = rng.nextInt(net.numClasses());
    }
    float[] probs = new float[batch * net.numClasses()];
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.001, 0.9, false, 0), threads, Normalization.SCALE_ONLY)) {
      int[] step = {0};
      Runnable one = () -> {
        int first = (step[0]++ % 4) * batch;
        if (train) {
          t.trainBatch(pixels, labels, first, batch, step[0]);
        } else {
          t.predict(pixels, first, batch, batch, probs);
        }
      };
      // warm-up: let the JIT compile the hot loops before timing; C2 takes a few seconds over the
      // Vector API loops (runs after 1 s of warm-up were still ~10% slow)
      long warmEnd = System.nanoTime() + (long) (Math.max(3.0, secondsPerRun) * 1e9);
      int warm = 0;
      while (System.nanoTime() < warmEnd || warm < 5) {
        one.run();
        warm++;
      }
      double[] runs = new double[repeats];
      // images per second of process CPU time: on a shared machine this moves far less than wall time
      long cpu0 = processCpuNanos();
      long imagesTotal = 0;
      for (int r = 0; r < repeats; r++) {
        long t0 = System.nanoTime();
        long images = 0;
        while (System.nanoTime() - t0 < secondsPerRun * 1e9 || images == 0) {
          one.run();
          images += batch;
        }
        runs[r] = images / ((System.nanoTime() - t0) / 1e9);
        imagesTotal += images;
      }
      double perCpu = imagesTotal / ((processCpuNanos() - cpu0) / 1e9);
      double[] sorted = runs.clone();
      Arrays.sort(sorted);
      double median = repeats % 2 == 1 ? sorted[repeats / 2] : (sorted[repeats / 2 - 1] + sorted[repeats / 2]) / 2;
      return new Result(mode, input, threads, batch, median, runs, perCpu);
    }
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** Off-heap bytes held by direct buffers (the engine's tensors) right now. */
  public static long directBytes() {
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        return b.getMemoryUsed();
      }
    }
    return -1;
  }

  /** Peak resident set size of this process (VmHWM), or -1 off Linux. */
  public static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }

  /** Memory of one training step at the given batch: engine tensors (params, grads, state, activations). */
  public Map<String, Object> trainingMemory(Shape input, int batch) {
    // the timed cells' networks are garbage by now, their direct buffers freed only after a
    // collection: without one, a collection during this step hid them (0 MB, or too little)
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long before = directBytes();
    Network net = Network.create(spec, input, Init.PYTORCH, 1, gemm);
    byte[] pixels = new byte[batch * input.size()];
    int[] labels = new int[batch];
    try (Trainer t = new Trainer(net, OptimizerConfig.sgd(0.001, 0.9, false, 0), 1, Normalization.SCALE_ONLY)) {
      t.trainBatch(pixels, labels, 0, batch, 1);
      long engine = directBytes() - before;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("input_shape", input.toString());
      m.put("batch", batch);
      m.put("parameters", net.trainableSize());
      m.put("engine_tensor_bytes", engine);
      m.put("process_peak_rss_bytes", peakRssBytes());
      return m;
    }
  }

  public static String toJson(String backend, List<Result> results, List<Map<String, Object>> memory) {
    StringBuilder sb = new StringBuilder("{\"backend\": \"").append(backend).append("\", \"results\": [");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      sb.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT,
          "{\"mode\": \"%s\", \"input_shape\": \"%s\", \"threads\": %d, \"batch\": %d, \"img_per_s\": %.1f, \"runs\": %s, \"img_per_cpu_s\": %.1f}",
          r.mode(), r.input(), r.threads(), r.batch(), r.imgPerS(), runsJson(r.runs()), r.imgPerCpuS()));
    }
    sb.append("], \"memory\": [");
    for (int i = 0; i < memory.size(); i++) {
      sb.append(i > 0 ? ", " : "").append('{');
      int j = 0;
      for (Map.Entry<String, Object> e : memory.get(i).entrySet()) {
        sb.append(j++ > 0 ? ", " : "").append('"').append(e.getKey()).append("\": ");
        sb.append(e.getValue() instanceof String ? "\"" + e.getValue() + "\"" : e.getValue());
      }
      sb.append('}');
    }
    return sb.append("]}").toString();
  }

  private static String runsJson(double[] runs) {
    List<String> s = new ArrayList<>();
    for (double r : runs) {
      s.add(String.format(Locale.ROOT, "%.1f", r));
    }
    return "[" + String.join(", ", s) + "]";
  }
}
