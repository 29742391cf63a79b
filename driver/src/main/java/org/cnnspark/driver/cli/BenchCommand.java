package org.cnnspark.driver.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.bench.Bench;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench}: engine throughput (no Spark), to set beside PyTorch measured in the same minute. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Measure engine training and inference throughput (images/s) on random images.",
        "With no --input-shape/--threads/--mode it covers 1x28x28 and 3x32x32, 1 and 2 threads, train and infer."})
public final class BenchCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Option(names = "--arch", defaultValue = "tutorial-cnn", description = "Architecture: tutorial-cnn, resnet18(classes=10) (or resnet34, resnet50, resnet20, resnet56) or a spec string (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--input-shape", split = ",", description = "CxHxW, comma-separated for several (default: 1x28x28,3x32x32).")
  List<String> shapes;

  @Option(names = "--threads", split = ",", description = "Engine threads, comma-separated for several (default: 1,2).")
  List<Integer> threads;

  @Option(names = "--batch", description = "Batch size (default: 64 for train, 256 for infer).")
  Integer batch;

  @Option(names = "--mode", split = ",", description = "train, infer or both (default: train,infer).")
  List<String> modes;

  @Option(names = "--repeats", defaultValue = "5", description = "Timed runs per cell; the median is reported (default: ${DEFAULT-VALUE}, minimum 5).")
  int repeats;

  @Option(names = "--seconds", defaultValue = "1.0", description = "Length of each timed run in seconds (default: ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--kernels", description = "java or native (default: the engine's choice).")
  String kernels;

  @Option(names = "--json", description = "Print one JSON object to stdout instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    Gemm gemm = kernels == null ? Kernels.gemm() : Kernels.byName(kernels);
    ModelSpec spec = ModelSpec.parse(arch);
    List<Shape> inputShapes = new ArrayList<>();
    for (String s : shapes == null ? List.of("1x28x28", "3x32x32") : shapes) {
      inputShapes.add(Shape.parse(s));
    }
    List<Integer> threadCounts = threads == null ? List.of(1, 2) : threads;
    List<String> modeList = modes == null ? List.of("train", "infer") : modes;
    for (String m : modeList) {
      if (!m.equals("train") && !m.equals("infer")) {
        throw new IllegalArgumentException("--mode must be train or infer, got '" + m + "'");
      }
    }
    for (int t : threadCounts) {
      if (t < 1) {
        throw new IllegalArgumentException("--threads must be >= 1, got " + t);
      }
    }
    if (batch != null && batch < 1) {
      throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
    }
    Bench bench = new Bench(spec, gemm, repeats, seconds);
    List<Bench.Result> results = new ArrayList<>();
    if (!json) {
      System.out.println(Kernels.description());
      System.out.printf("%-6s %-9s %7s %5s %12s%n", "mode", "input", "threads", "batch", "img/s");
    }
    for (Shape shape : inputShapes) {
      for (int t : threadCounts) {
        for (String m : modeList) {
          int b = batch != null ? batch : (m.equals("train") ? 64 : 256);
          Bench.Result r = bench.run(m, shape, t, b);
          results.add(r);
          if (!json) {
            // a ResNet-50 at 224x224 runs a few images a second: show a decimal there
            System.out.printf(r.imgPerS() < 100 ? "%-6s %-9s %7d %5d %12.1f%n" : "%-6s %-9s %7d %5d %12.0f%n", m, shape, t, b,
                r.imgPerS());
          }
        }
      }
    }
    // at the training batch asked for: a large model's step at 64 may not fit where 16 does
    int memoryBatch = batch != null ? batch : 64;
    List<Map<String, Object>> memory = new ArrayList<>();
    for (Shape shape : inputShapes) {
      memory.add(bench.trainingMemory(shape, memoryBatch));
    }
    if (json) {
      System.out.println(Bench.toJson(gemm.name(), results, memory));
    } else {
      for (Map<String, Object> m : memory) {
        System.out.printf("training step memory at batch %d, %s: engine tensors %.1f MB, process peak RSS %.0f MB%n",
            memoryBatch, m.get("input_shape"), ((Number) m.get("engine_tensor_bytes")).doubleValue() / 1e6,
            ((Number) m.get("process_peak_rss_bytes")).doubleValue() / 1e6);
      }
    }
    return 0;
  }
}
