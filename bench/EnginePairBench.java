import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Two engine jars in one JVM, each in its own class loader over the same libraries (OpenBLAS,
 * JavaCPP), timed in turn cell by cell: old, new, new, old, ... So both meet the same neighbours on
 * a shared machine within seconds of each other, which separate processes minutes apart do not.
 * Each turn is one {@code Bench.run} (its warm-up, then five timed runs) of a cell of
 * {@code cnn-spark bench --threads 1}; prints one line per turn: pair, cell, side, images per
 * CPU-second.
 *
 * <p>Arguments: OLD_JAR NEW_JAR PAIRS SECONDS_PER_RUN [ARCH [SHAPES]] (default tutorial-cnn,
 * 1x28x28,3x32x32). The libraries come from the class path.
 */
public final class EnginePairBench {
  public static void main(String[] args) throws Exception {
    String arch = args.length > 4 ? args[4] : "tutorial-cnn";
    String[] shapes = (args.length > 5 ? args[5] : "1x28x28,3x32x32").split(",");
    Engine old = new Engine(Path.of(args[0]), Double.parseDouble(args[3]), arch);
    Engine neu = new Engine(Path.of(args[1]), Double.parseDouble(args[3]), arch);
    int pairs = Integer.parseInt(args[2]);
    List<String[]> cells = new ArrayList<>();
    for (String shape : shapes) {
      cells.add(new String[] {"train", shape});
      cells.add(new String[] {"infer", shape});
    }
    for (int p = 1; p <= pairs; p++) {
      for (String[] c : cells) {
        int batch = c[0].equals("train") ? 64 : 256;
        boolean oldFirst = p % 2 == 1;
        List<String> lines = new ArrayList<>();
        for (int turn = 0; turn < 2; turn++) {
          boolean isOld = oldFirst == (turn == 0);
          double v = (isOld ? old : neu).run(c[0], c[1], batch);
          lines.add(String.format("%d %s %s %s %.1f", p, c[0], c[1], isOld ? "old" : "new", v));
        }
        lines.forEach(System.out::println);
        System.out.flush();
      }
    }
  }

  /** One engine jar behind its own class loader, driven by reflection (the two jars' classes differ). */
  static final class Engine {
    private final Object bench;
    private final Method run;
    private final Method shapeParse;
    private final Method perCpu;

    Engine(Path jar, double seconds, String arch) throws Exception {
      ClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, EnginePairBench.class.getClassLoader());
      Class<?> spec = loader.loadClass("org.cnnspark.engine.ModelSpec");
      Class<?> gemm = loader.loadClass("org.cnnspark.engine.kernels.Gemm");
      Class<?> shape = loader.loadClass("org.cnnspark.engine.Shape");
      Class<?> benchClass = loader.loadClass("org.cnnspark.engine.bench.Bench");
      Object model = spec.getMethod("parse", String.class).invoke(null, arch);
      Object kernels = loader.loadClass("org.cnnspark.engine.kernels.Kernels").getMethod("gemm").invoke(null);
      bench = benchClass.getConstructor(spec, gemm, int.class, double.class).newInstance(model, kernels, 5, seconds);
      run = benchClass.getMethod("run", String.class, shape, int.class, int.class);
      shapeParse = shape.getMethod("parse", String.class);
      perCpu = loader.loadClass("org.cnnspark.engine.bench.Bench$Result").getMethod("imgPerCpuS");
    }

    double run(String mode, String input, int batch) throws Exception {
      Object result = run.invoke(bench, mode, shapeParse.invoke(null, input), 1, batch);
      return (double) perCpu.invoke(result);
    }
  }
}
