package org.cnnspark.driver.deploy;

import java.net.InetAddress;
import java.net.UnknownHostException;
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
import org.cnnspark.driver.kryo.KryoSettings;
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
 * synthetic images derived from (seed, partition), and reports the JVM that ran it (executor, host,
 * pid), what cnn-spark finds there ({@link Jvm}: kernels, Vector API module, serializer, Spark and
 * JDK versions) and a SHA-256 of the weights it ended with. {@code cnn-spark check} runs it and
 * prints one line per JVM (cli's CheckCommand). The same (seed, partition) gives the same weights
 * in any JVM with the same kernels, so a test compares a multi-JVM cluster with {@code local[2]}
 * bit for bit.
 */
public final class ClusterCheck {
  static final int STEPS = 4;
  static final int BATCH = 16;

  private ClusterCheck() {}

  /**
   * What one JVM says about itself: where it runs, the engine's kernels line, whether the JVM has the
   * Vector API module (jdk.incubator.vector), the serializer its Spark uses, and the versions.
   */
  public record Jvm(String executorId, String host, long pid, String kernels, boolean vectorModule, String serializer,
                    String spark, String java) {
    /** This JVM (on the driver: executor "driver"). */
    public static Jvm here() throws UnknownHostException {
      SparkEnv env = SparkEnv.get();
      return new Jvm(env == null ? "none" : env.executorId(), InetAddress.getLocalHost().getHostName(),
          ProcessHandle.current().pid(), Kernels.description(),
          ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
          env == null ? "none" : KryoSettings.describe(env.conf()), org.apache.spark.package$.MODULE$.SPARK_VERSION(),
          Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")");
    }

    /** Whether the engine runs on its pure-Java kernels here (the native library did not load). */
    public boolean javaKernels() {
      return kernels.startsWith("cnn-spark kernels: java");
    }

    /** One line: the versions, the Vector API module, the serializer, the kernels. */
    public String describe() {
      return "Spark " + spark + ", JDK " + java + ", Vector API module " + (vectorModule ? "present" : "absent")
          + ", serializer: " + serializer + "; " + kernels;
    }

    private String encode() {
      return String.join("\t", executorId, host, Long.toString(pid), kernels, Boolean.toString(vectorModule), serializer,
          spark, java);
    }

    private static Jvm decode(String[] f, int from) {
      return new Jvm(f[from], f[from + 1], Long.parseLong(f[from + 2]), f[from + 3], Boolean.parseBoolean(f[from + 4]),
          f[from + 5], f[from + 6], f[from + 7]);
    }
  }

  /** What one partition did: the JVM it ran in and the weights it computed. */
  public record Report(int partition, Jvm jvm, String weightsSha256) {
    /** Tab-separated, so a task returns a String (serialisable by any Spark serializer, Kryo registration or not). */
    String encode() {
      return partition + "\t" + weightsSha256 + "\t" + jvm.encode();
    }

    static Report decode(String line) {
      String[] f = line.split("\t", -1);
      return new Report(Integer.parseInt(f[0]), Jvm.decode(f, 2), f[1]);
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
    return new Report(partition, Jvm.here(), sha256(net.paramsArray()));
  }

  static String sha256(float[] values) throws NoSuchAlgorithmException {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
    bytes.asFloatBuffer().put(values);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
  }
}
