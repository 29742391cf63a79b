package org.cnnspark.driver.train;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.cli.Main;
import org.cnnspark.driver.ml.CnnClassifier;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.engine.io.ModelFile;

/**
 * The runs {@link PinnedBitsTest} pins, in this JVM (started with {@code -Dcnnspark.kernels} and
 * {@code -Dcnnspark.fuse} set). 1,000 Fashion-MNIST training images, a small CNN with the fusable
 * conv-relu-maxpool pattern, 2 epochs of batch 32, seed 5, through the CLI and through the
 * Estimator, for sgd and adam x 1, 2 workers x 1, 3 rounds per epoch. Then two files written by the
 * build before the codebase refactoring (in {@code compat/}): a checkpoint, resumed to the end of its
 * run, and a saved PipelineModel, scoring 200 test images. Prints one line per run:
 * {@code pin <what> ... fuse=<f> <sha256>}.
 *
 * <p>Usage: {@code PinnedBits WORK_DIR} prints the lines (run by hand to rewrite {@code pinned/bits.txt}
 * when a change means to alter the bits); {@code PinnedBits WORK_DIR --write-compat DIR} writes the
 * compat files into DIR.
 */
public final class PinnedBits {
  static final String ARCH = "conv(4,5) relu maxpool(2) conv(8,3) relu maxpool(2) flatten dense(16) relu dense(10)";
  /** The compat checkpoint's run names its data by path, so the data is recreated at this one. */
  static final Path COMPAT_DATA = Path.of(System.getProperty("java.io.tmpdir"), "cnn-spark-compat-data");
  /**
   * The pinned runs predate the issue-11 options, whose defaults now differ: they give the absent
   * values, the old behaviour. The compat resume gives none of them: it takes the checkpoint's.
   */
  static final List<String> ABSENT_OPTIONS = List.of("--split", "contiguous", "--lr-schedule", "constant",
      "--lr-scaling", "none", "--warmup-epochs", "0", "--outer", "average");

  private PinnedBits() {}

  public static void main(String[] args) throws IOException, URISyntaxException {
    Path work = Path.of(args[0]);
    String fuse = System.getProperty("cnnspark.fuse", "true");
    LocalSpark.Subset subset = LocalSpark.fashion("train", 0, 1000);
    Path images = LocalSpark.writeIdx(work.resolve("data"), "pin-train", subset, true);
    Path compatImages = LocalSpark.writeIdx(COMPAT_DATA, "compat-train", LocalSpark.fashion("train", 1000, 600), true);
    SparkSession spark = LocalSpark.start(2, "cnn-spark pinned bits");
    try {
      if (args.length == 3 && args[1].equals("--write-compat")) {
        writeCompat(spark, compatImages, Path.of(args[2]));
        return;
      }
      Dataset<Row> frame = frame(spark, subset);
      List<String> lines = new ArrayList<>();
      for (String entry : List.of("cli", "estimator")) {
        for (String optimizer : List.of("sgd", "adam")) {
          for (int w : new int[] {1, 2}) {
            for (int k : new int[] {1, 3}) {
              ModelFile m = entry.equals("cli")
                  ? train(images, work.resolve(String.join("-", entry, optimizer, "w" + w, "k" + k)), optimizer, w, k, 2)
                  : classifier(optimizer, w, k).fit(frame).modelFile();
              lines.add(String.format("pin %s %s w%d k%d fuse=%s %s", entry, optimizer, w, k, fuse, hash(m)));
            }
          }
        }
      }
      Path run = work.resolve("compat-run");
      copy(resource("/compat/run"), run);
      lines.add("pin compat checkpoint-resumed fuse=" + fuse + " " + hash(resume(compatImages, run, 2)));
      Dataset<Row> scored = PipelineModel.load(resource("/compat/pipeline").toString())
          .transform(frame(spark, LocalSpark.fashion("t10k", 0, 200)));
      lines.add("pin compat pipeline-probabilities fuse=" + fuse + " " + hash(scored.select("probability").collectAsList()));
      lines.forEach(System.out::println);
    } finally {
      spark.stop();
    }
  }

  /**
   * The compat files: the checkpoints of a 1-epoch CLI run on 2 workers (resumed by the pin to 2
   * epochs) and a PipelineModel holding a fitted CnnClassifier (adam, 3 rounds per epoch).
   */
  private static void writeCompat(SparkSession spark, Path images, Path dir) throws IOException {
    Path run = dir.resolve("run");
    train(images, run, "sgd", 2, 1, 1);
    try (Stream<Path> files = Files.list(run)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().equals("checkpoints")) {
          Files.delete(f);
        }
      }
    }
    Dataset<Row> frame = frame(spark, LocalSpark.fashion("train", 1000, 600));
    new Pipeline().setStages(new PipelineStage[] {classifier("adam", 2, 3)}).fit(frame).write().save(
        dir.resolve("pipeline").toString());
  }

  private static CnnClassifier classifier(String optimizer, int w, int k) {
    return new CnnClassifier().setArchitecture(ARCH).setEpochs(2).setBatchSize(32).setSeed(5).setOptimizer(optimizer)
        .setLr(optimizer.equals("sgd") ? 0.01 : 0.001).setNumWorkers(w).setRoundsPerEpoch(k)
        .setSplit("contiguous").setLrSchedule("constant").setLrScaling("none").setWarmupEpochs(0).setOuter("average");
  }

  private static ModelFile train(Path images, Path out, String optimizer, int w, int k, int epochs) throws IOException {
    List<String> args = new ArrayList<>(common(images, out, optimizer, w, epochs));
    args.addAll(List.of("--rounds-per-epoch", Integer.toString(k)));
    args.addAll(ABSENT_OPTIONS);
    return run(args, out);
  }

  /** The compat run continued with its options of before issue 11 only: the rest comes from its checkpoint. */
  private static ModelFile resume(Path images, Path out, int epochs) throws IOException {
    List<String> args = new ArrayList<>(common(images, out, "sgd", 2, epochs));
    args.add("--resume");
    return run(args, out);
  }

  private static List<String> common(Path images, Path out, String optimizer, int w, int epochs) {
    return List.of("train", "--data", images.toString(), "--out", out.toString(), "--arch", ARCH, "--epochs",
        Integer.toString(epochs), "--batch-size", "32", "--seed", "5", "--optimizer", optimizer, "--workers",
        Integer.toString(w));
  }

  private static ModelFile run(List<String> args, Path out) throws IOException {
    int code = Main.run(args.toArray(String[]::new));
    if (code != 0) {
      throw new IllegalStateException("train exited with " + code + " for " + out);
    }
    return ModelDir.read(out.toString(), new Configuration());
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(PinnedBits.class.getResource(name).toURI());
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }

  /** Columns features (ml Vector of pixel values 0..255) and label (double), in record order. */
  private static Dataset<Row> frame(SparkSession spark, LocalSpark.Subset s) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < s.count(); i++) {
      double[] v = new double[s.imageSize()];
      for (int j = 0; j < v.length; j++) {
        v[j] = s.pixels()[i * s.imageSize() + j] & 0xff;
      }
      rows.add(RowFactory.create(Vectors.dense(v), (double) s.labels()[i]));
    }
    StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
    return spark.createDataFrame(rows, schema);
  }

  /** SHA-256 of the parameters' and the optimizer state's float bits, then the step count. */
  static String hash(ModelFile m) {
    ByteBuffer b = ByteBuffer.allocate(4 * (m.params().length + m.optimizerState().length) + 8);
    for (float f : m.params()) {
      b.putInt(Float.floatToRawIntBits(f));
    }
    for (float f : m.optimizerState()) {
      b.putInt(Float.floatToRawIntBits(f));
    }
    b.putLong(m.optimizerSteps());
    return sha256(b.array());
  }

  /** SHA-256 of the bits of every probability vector, in row order. */
  static String hash(List<Row> probabilities) {
    ByteBuffer b = ByteBuffer.allocate(8 * probabilities.stream().mapToInt(r -> ((Vector) r.get(0)).size()).sum());
    for (Row r : probabilities) {
      for (double d : ((Vector) r.get(0)).toArray()) {
        b.putLong(Double.doubleToRawLongBits(d));
      }
    }
    return sha256(b.array());
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
