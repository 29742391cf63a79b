import java.util.ArrayList;
import java.util.List;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.bench.Bench;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;

/**
 * The cells of {@code cnn-spark bench --threads 1 --json} (tutorial CNN; 1x28x28 and 3x32x32;
 * train at batch 64, infer at 256; 5 timed runs), on whichever engine jar is on the class path and
 * without the driver, so that engine-old-vs-new.sh can run an old engine jar beside a new one.
 * Prints Bench's JSON. Argument: seconds per timed run.
 */
public final class EngineBench {
  public static void main(String[] args) {
    Gemm gemm = Kernels.gemm();
    Bench bench = new Bench(ModelSpec.parse("tutorial-cnn"), gemm, 5, Double.parseDouble(args[0]));
    List<Bench.Result> results = new ArrayList<>();
    for (String shape : new String[] {"1x28x28", "3x32x32"}) {
      for (String mode : new String[] {"train", "infer"}) {
        results.add(bench.run(mode, Shape.parse(shape), 1, mode.equals("train") ? 64 : 256));
      }
    }
    System.out.println(Bench.toJson(gemm.name(), results, List.of()));
  }
}
