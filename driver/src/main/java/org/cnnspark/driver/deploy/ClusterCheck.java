package org.cnnspark.driver.deploy;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Seeds;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * A smoke check for a new cluster: every partition trains the tutorial CNN for a few steps on
 * synthetic images derived from (seed, partition), and reports which executor JVM ran it, which
 * kernels that JVM loaded, and a SHA-256 of the weights it ended with. Run it before a long job:
 * <pre>
 *   spark-submit --class org.cnnspark.driver.deploy.ClusterCheck cnn-spark-driver-VERSION-spark.jar [PARTITIONS]
 * </pre>
 * Exit code 1 when a partition ran on the pure-Java fallback kernels (the native library did not
 * load there). The same (seed, partition) gives the same weights in any JVM with the same kernels,
 * so a test compares a multi-JVM cluster with {@code local[2]} bit for bit.
 */
public final class ClusterCheck {
  static final int STEPS = 4;
  static final int BATCH = 16;

  private ClusterCheck() {}

  /** What one partition did: where it ran and what it computed. */
  public record Report(int partition, String executorId, String host, long pid, String kernels, String weightsSha256) {
    /** Tab-separated, so a task returns a String (serialisable by any Spark serializer, Kryo registration or not). */
    String encode() {
      return String.join("\t", Integer.toString(partition), executorId, host, Long.toString(pid), kernels, weightsSha256);
    }

    static Report decode(String line) {
      String[] f = line.split("\t", -1);
      return new Report(Integer.parseInt(f[0]), f[1], f[2], Long.parseLong(f[3]), f[4], f[5]);
    }
  }

  /** Runs the check on {@code partitions} partitions; reports in partition order. */
  public static List<Report> run(JavaSparkContext jsc, int partitions, long seed) {
    List<Integer> indices = IntStream.range(0, partitions).boxed().toList();
    List<Report> reports = new ArrayList<>();
    for (String line : jsc.parallelize(indices, partitions).map(p -> train(p, seed).encode()).collect()) {
      reports.add(Report.decode(line));
    }
    reports.sort(Comparator.comparingInt(Report::partition));
    return reports;
  }

  /** The work of one partition (runs on an executor). */
  static Report train(int partition, long seed) throws Exception {
    Shape shape = new Shape(1, 28, 28);
    Network net = Network.create(ModelSpec.parse("tutorial-cnn"), shape, Init.PYTORCH, seed);
    SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, partition));
    byte[] pixels = new byte[STEPS * BATCH * shape.size()];
    int[] labels = new int[STEPS * BATCH];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) rng.nextInt(256);
    }
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rng.nextInt(net.numClasses());
    }
    try (Trainer trainer = new Trainer(net, OptimizerConfig.sgd(0.01, 0.9, false, 0), 1, Normalization.SCALE_ONLY)) {
      for (int step = 0; step < STEPS; step++) {
        trainer.trainBatch(pixels, labels, step * BATCH, BATCH, Seeds.mix(seed, partition, step));
      }
    }
    SparkEnv env = SparkEnv.get();
    return new Report(partition, env == null ? "none" : env.executorId(), InetAddress.getLocalHost().getHostName(),
        ProcessHandle.current().pid(), Kernels.description(), sha256(net.paramsArray()));
  }

  static String sha256(float[] values) throws NoSuchAlgorithmException {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
    bytes.asFloatBuffer().put(values);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
  }

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("cnn-spark cluster check").getOrCreate();
    boolean fallback = false;
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      int partitions = args.length > 0 ? Integer.parseInt(args[0]) : jsc.defaultParallelism();
      List<Report> reports = run(jsc, partitions, 42);
      for (Report r : reports) {
        System.out.printf("partition %d: executor %s on %s (pid %d), weights sha256 %s, %s%n", r.partition(),
            r.executorId(), r.host(), r.pid(), r.weightsSha256().substring(0, 16), r.kernels());
        fallback |= r.kernels().startsWith("cnn-spark kernels: java");
      }
      long jvms = reports.stream().map(r -> r.host() + ":" + r.pid()).distinct().count();
      System.out.printf("%d partitions ran in %d JVM(s), Spark %s%n", reports.size(), jvms, spark.version());
      if (fallback) {
        System.out.println("FAILED: some partitions ran on the pure-Java kernels (the reason is on their line); check that "
            + "the jar holds the natives for the executors' platform and that -Dorg.bytedeco.javacpp.cachedir is writable");
      }
    } finally {
      spark.stop();
    }
    System.exit(fallback ? 1 : 0);
  }
}
