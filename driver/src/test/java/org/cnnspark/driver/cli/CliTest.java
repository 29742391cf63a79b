package org.cnnspark.driver.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.store.Checkpoints;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.cnnspark.engine.optim.OptimizerType;
import org.cnnspark.engine.optim.Optimizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI end to end on local[2] over small IDX files cut from Fashion-MNIST: train, evaluate,
 * predict, export, inspect; exit codes, messages, outputs, and nothing half-written on failure.
 * The commands find this class's SparkSession running and use it (as under spark-submit or in a
 * notebook) instead of starting their own.
 */
public class CliTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SMALL_ARCH = "conv(8,3,pad=1) relu maxpool(2) conv(16,3,pad=1) relu maxpool(2) flatten dense(32) relu dense(10)";

  @TempDir
  static Path dir;
  static SparkSession spark;
  static Path trainImages;
  static Path testImages;
  static Path unlabelled;
  static Path model;
  /** The absent values of the options whose defaults changed (one round per epoch, contiguous, no scaling), but --split. */
  static final String[] OLD_BUT_SPLIT = {"--rounds-per-epoch", "1", "--lr-scaling", "none", "--warmup-epochs", "0"};
  static final String[] OLD = with(OLD_BUT_SPLIT, "--split", "contiguous");

  static String[] with(String[] first, String... more) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(first), java.util.Arrays.stream(more))
        .toArray(String[]::new);
  }

  /** What a command printed and returned. */
  public record Run(int code, String out, String err) {}

  /** Runs the CLI in this JVM, capturing stdout and stderr (other packages' CLI tests use it too). */
  public static Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @BeforeAll
  static void start() throws IOException {
    LocalSpark.Subset train = LocalSpark.fashion("train", 0, 2000);
    LocalSpark.Subset test = LocalSpark.fashion("t10k", 0, 500);
    trainImages = LocalSpark.writeIdx(dir.resolve("train"), "small-train", train, true);
    testImages = LocalSpark.writeIdx(dir.resolve("test"), "small-t10k", test, true);
    unlabelled = LocalSpark.writeIdx(dir.resolve("unlabelled"), "small-t10k", test, false);
    spark = LocalSpark.start(2, "cnn-spark CLI tests");
    model = dir.resolve("model");
    // the options of before issue 11, whose defaults changed: these tests read one round per epoch, contiguous
    Run r = train(model, with(OLD, "--epochs", "2"));
    assertEquals(0, r.code(), r.err());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** train on the small set with the test's settings; {@code extra} options replace the defaults of the same name. */
  static Run train(Path out, String... extra) {
    Map<String, String> opts = new java.util.LinkedHashMap<>();
    String[] base = {"--data", trainImages.toString(), "--test", testImages.toString(), "--arch", SMALL_ARCH,
        "--workers", "2", "--lr", "0.05", "--batch-size", "32", "--seed", "5", "--out", out.toString()};
    for (int i = 0; i < base.length; i += 2) {
      opts.put(base[i], base[i + 1]);
    }
    for (int i = 0; i < extra.length; i += 2) {
      opts.put(extra[i], extra[i + 1]);
    }
    List<String> args = new java.util.ArrayList<>(List.of("train"));
    opts.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
    return run(args.toArray(String[]::new));
  }

  static ModelFile readModel(Path d) throws IOException {
    return ModelDir.read(d.toString(), new Configuration());
  }

  @Tag("compat")
  @Test
  void trainWritesModelMetricsAndProvenance() throws IOException {
    ModelFile m = readModel(model);
    assertEquals("1x28x28", m.inputShape().toString());
    Map<String, String> p = m.provenance();
    assertEquals("2", p.get("partitions"));
    assertEquals("5", p.get("seed"));
    assertEquals("2000", p.get("dataset_count"));
    assertTrue(p.get("averaging").contains("per-epoch"), p.get("averaging"));
    assertTrue(p.containsKey("spark_version") && p.containsKey("kernels") && p.containsKey("cpu"), p.toString());
    List<String> lines = Files.readAllLines(model.resolve(ModelDir.METRICS));
    assertEquals(2, lines.size(), "one line per round, one round per epoch");
    RoundMetrics last = RoundMetrics.fromJson(lines.get(1));
    assertEquals(2, last.epoch());
    assertEquals(1, last.round());
    assertEquals(2000, last.examples());
    assertTrue(last.testAccuracy() > 0.6, "2 epochs of 2,000 images: " + lines.get(1));
    assertTrue(last.loss() < RoundMetrics.fromJson(lines.get(0)).loss(), lines.toString());
    try (Stream<Path> files = Files.list(dir)) {
      assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith(".")), "no temporary left behind");
    }
  }

  @Test
  void sameRunTwiceGivesTheSameBits() throws IOException {
    Path again = dir.resolve("again");
    Run r = train(again, with(OLD, "--epochs", "2"));
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(readModel(model).params(), readModel(again).params());
    Path other = dir.resolve("other-seed");
    assertEquals(0, train(other, with(OLD, "--epochs", "2", "--seed", "6")).code());
    assertFalse(java.util.Arrays.equals(readModel(model).params(), readModel(other).params()), "another seed, other weights");
  }

  @Test
  void evaluatePrintsJsonMatchingTheLastTestScore() throws IOException {
    Run r = run("evaluate", "--model", model.toString(), "--data", testImages.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode j = JSON.readTree(r.out());
    assertEquals(500, j.get("n").asLong());
    List<String> lines = Files.readAllLines(model.resolve(ModelDir.METRICS));
    RoundMetrics last = RoundMetrics.fromJson(lines.get(lines.size() - 1));
    assertEquals(last.testAccuracy(), j.get("accuracy").asDouble(), 0.0);
    assertEquals(last.testLoss(), j.get("loss").asDouble(), 1e-12);
  }

  @Tag("compat")
  @Test
  void predictWritesCsvInRecordOrderAndSafetensorsGiveTheSame() throws IOException {
    Path csv = dir.resolve("pred.csv");
    Run r = run("predict", "--model", model.toString(), "--data", testImages.toString(), "--out", csv.toString(),
        "--workers", "3");
    assertEquals(0, r.code(), r.err());
    List<String> rows = Files.readAllLines(csv);
    assertEquals("index,label,prediction,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", rows.get(0));
    assertEquals(501, rows.size());
    LocalSpark.Subset test = LocalSpark.fashion("t10k", 0, 500);
    int correct = 0;
    for (int i = 1; i <= 500; i++) {
      String[] f = rows.get(i).split(",");
      assertEquals(i - 1, Integer.parseInt(f[0]), "record order");
      assertEquals(test.labels()[i - 1], Integer.parseInt(f[1]));
      double sum = 0;
      int best = 0;
      for (int c = 0; c < 10; c++) {
        double p = Double.parseDouble(f[3 + c]);
        sum += p;
        if (p > Double.parseDouble(f[3 + best])) {
          best = c;
        }
      }
      assertEquals(1.0, sum, 1e-5);
      assertEquals(best, Integer.parseInt(f[2]), "prediction is the most probable class");
      correct += best == test.labels()[i - 1] ? 1 : 0;
    }
    JsonNode eval = JSON.readTree(run("evaluate", "--model", model.toString(), "--data", testImages.toString()).out());
    assertEquals(eval.get("accuracy").asDouble(), correct / 500.0, 0.0);

    // unlabelled data: empty label column
    Path csv2 = dir.resolve("pred-unlabelled.csv");
    assertEquals(0, run("predict", "--model", model.toString(), "--data", unlabelled.toString(), "--out", csv2.toString()).code());
    List<String> rows2 = Files.readAllLines(csv2);
    assertTrue(rows2.get(1).startsWith("0,,"), rows2.get(1));

    // exported weights with --arch give the same file
    Path st = dir.resolve("w.safetensors");
    Run ex = run("export", "--model", model.toString(), "--out", st.toString());
    assertEquals(0, ex.code(), ex.err());
    Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(st);
    assertArrayEquals(new int[] {16, 8, 3, 3}, tensors.get("conv2.weight").shape(), "PyTorch layout (OC, C, K, K)");
    assertEquals(List.of("conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "fc1.bias", "fc1.weight", "fc2.bias",
        "fc2.weight"), tensors.keySet().stream().sorted().toList());
    Path csv3 = dir.resolve("pred-st.csv");
    Run r3 = run("predict", "--model", st.toString(), "--arch", SMALL_ARCH, "--data", testImages.toString(),
        "--out", csv3.toString(), "--workers", "3");
    assertEquals(0, r3.code(), r3.err());
    assertTrue(rows.equals(Files.readAllLines(csv3)), "the same predictions from the exported weights");

    // and they start a new training run
    Path fromInit = dir.resolve("from-init");
    Run t = train(fromInit, "--epochs", "1", "--init", st.toString(), "--lr", "0.01");
    assertEquals(0, t.code(), t.err());
    assertEquals(st.toString(), readModel(fromInit).provenance().get("init"));
    assertTrue(RoundMetrics.fromJson(Files.readAllLines(fromInit.resolve(ModelDir.METRICS)).get(0)).trainAccuracy()
        > RoundMetrics.fromJson(Files.readAllLines(model.resolve(ModelDir.METRICS)).get(0)).trainAccuracy(),
        "starting from trained weights beats starting from scratch in the first epoch");

    // everything but the head, which starts fresh
    Path headless = dir.resolve("from-init-skip");
    Run h = train(headless, "--epochs", "1", "--init", st.toString(), "--init-skip", "fc2", "--lr", "0.01");
    assertEquals(0, h.code(), h.err());
    assertTrue(h.err().contains("--init-skip: fc2.weight, fc2.bias start freshly initialised"), h.err());
    assertEquals("fc2", readModel(headless).provenance().get("init_skip"));

    // fine-tuning the head alone, on 3 workers: the frozen convolutions keep their bits
    Path head = dir.resolve("head-only");
    Run f = train(head, "--epochs", "1", "--init", st.toString(), "--freeze", "conv1,conv2", "--workers", "3",
        "--weight-decay", "0.01");
    assertEquals(0, f.code(), f.err());
    Path headWeights = dir.resolve("head.safetensors");
    assertEquals(0, run("export", "--model", head.toString(), "--out", headWeights.toString()).code());
    Map<String, SafeTensors.Tensor> tuned = SafeTensors.read(headWeights);
    for (String name : tensors.keySet()) {
      boolean same = java.util.Arrays.equals(tensors.get(name).data(), tuned.get(name).data());
      assertEquals(name.startsWith("conv"), same, name + (same ? " did not train" : " trained"));
    }
    assertEquals("conv1,conv2", readModel(head).provenance().get("freeze"));

    // a normalisation trains with the model and stays in it for scoring
    Path normalised = dir.resolve("normalised");
    Run nt = train(normalised, "--epochs", "1", "--normalize", "mean=0.286,std=0.353");
    assertEquals(0, nt.code(), nt.err());
    Run ni = run("inspect", "--model", normalised.toString());
    assertTrue(ni.out().contains("normalisation: mean [0.286], std [0.353]"), ni.out());
    assertEquals(0, run("evaluate", "--model", normalised.toString(), "--data", testImages.toString()).code());
  }

  @Test
  void inspectShowsLayersProvenanceAndMetrics() {
    Run r = run("inspect", "--model", model.toString());
    assertEquals(0, r.code(), r.err());
    String[] fromTheModelFile = {"conv1", "fc2", "input shape: 1x28x28", "provenance:", "partitions", "spark_version"};
    for (String s : fromTheModelFile) {
      assertTrue(r.out().contains(s), "missing '" + s + "' in:\n" + r.out());
    }
    for (String s : new String[] {"metrics (2 rounds", "test_acc", "report: " + model.resolve("report.html")}) {
      assertTrue(r.out().contains(s), "missing '" + s + "' in:\n" + r.out());
    }
    // given model.cnn alone, inspect shows what that file holds
    Run m = run("inspect", "--model", model.resolve(ModelDir.MODEL).toString());
    assertEquals(0, m.code(), m.err());
    for (String s : fromTheModelFile) {
      assertTrue(m.out().contains(s), "inspect of model.cnn: missing '" + s + "' in:\n" + m.out());
    }
  }

  @Test
  void everyCommandHasHelp() {
    for (String c : new String[] {"train", "evaluate", "predict", "export", "inspect", "report", "bench", "quickstart"}) {
      Run r = run(c, "--help");
      assertEquals(0, r.code(), c);
      assertTrue(r.out().contains("Usage: cnn-spark " + c), c + ": " + r.out() + r.err());
    }
  }

  /** bench measures at the batch asked for, the training step's memory included, and names its kernels. */
  @Test
  void benchReportsAtTheBatchAskedFor() {
    Run r = run("bench", "--arch", SMALL_ARCH, "--input-shape", "1x8x8", "--batch", "4", "--threads", "1",
        "--mode", "train", "--repeats", "5", "--seconds", "0.05");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("cnn-spark kernels: "), r.out());
    assertTrue(r.out().matches("(?s).*train +1x8x8 +1 +4 +[0-9.]+\\n.*"), r.out());
    assertTrue(r.out().contains("training step memory at batch 4, 1x8x8: engine tensors"), r.out());
  }

  /** train's help lists every registered optimizer and the defaults of the settings not given, and the outer rules. */
  @Test
  void trainHelpListsTheOptimizers() {
    Run r = run("train", "--help");
    assertEquals(0, r.code(), r.err());
    for (OptimizerType t : Optimizers.all()) {
      assertTrue(r.out().contains(t.defaults().describe()), t.name() + " missing in:\n" + r.out());
    }
    assertTrue(r.out().contains("--optimizer=NAME") && r.out().contains(Optimizers.all().stream()
        .map(OptimizerType::name).collect(java.util.stream.Collectors.joining(", "))), r.out());
    for (org.cnnspark.driver.train.OuterRule o : org.cnnspark.driver.train.OuterRules.all()) {
      assertTrue(r.out().contains("  " + o.name() + ": " + o.summary()), o.name() + " missing in:\n" + r.out());
    }
  }

  /** --optimizer adamw without --lr or --weight-decay trains with PyTorch's AdamW defaults and keeps its moments. */
  @Test
  void adamwTrainsWithPyTorchsDefaults() throws IOException {
    Path out = dir.resolve("adamw");
    Run r = run("train", "--data", trainImages.toString(), "--arch", SMALL_ARCH, "--workers", "2", "--batch-size", "32",
        "--epochs", "1", "--optimizer", "adamw", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    ModelFile m = readModel(out);
    assertEquals(OptimizerConfig.adamw(0.001, 0.9, 0.999, 1e-8, 0.01), m.optimizer());
    assertEquals(2L * m.network(new org.cnnspark.engine.kernels.JavaGemm(), "adamw").trainableSize(),
        m.optimizerState().length);
    Run inspect = run("inspect", "--model", out.toString());
    assertTrue(inspect.out().contains("optimizer: adamw lr=0.001 betas=(0.9, 0.999) eps=1.0E-8 weight_decay=0.01"),
        inspect.out());
  }

  @Test
  void badInputExitsTwoWithOneParagraphAndWritesNothing() throws IOException {
    Path out = dir.resolve("never");
    String[][] cases = {
        {"train", "--data", dir.resolve("nope-images-idx3-ubyte").toString(), "--out", out.toString()},
        {"train", "--data", "x", "--epochs", "0", "--out", out.toString()},
        {"train", "--data", "x", "--arch", "conv(8,3) pool(2)", "--out", out.toString()},
        {"train", "--data", "x", "--optimizer", "rmsprop", "--out", out.toString()},
        {"train", "--out", out.toString()},
        {"train", "--data", trainImages.toString(), "--arch", "flatten dense(5)", "--out", out.toString()},
        {"evaluate", "--model", out.toString(), "--data", testImages.toString()},
        {"evaluate", "--model", model.toString(), "--data", unlabelled.toString()},
        {"evaluate", "--model", model.toString(), "--arch", "tutorial-cnn", "--data", testImages.toString()},
        {"predict", "--model", model.toString(), "--data", dir.resolve("missing.gz").toString(), "--out",
            dir.resolve("never.csv").toString()},
        {"export", "--model", out.toString(), "--out", dir.resolve("never.safetensors").toString()},
    };
    String[] expect = {"nope-images-idx3-ubyte", "epochs must be >= 1", "unknown layer 'pool'", "rmsprop",
        "Missing required option: '--data", "dense(10)", "no model at", "labels", "--arch and --input-shape apply only",
        "missing.gz", "no model at"};
    for (int i = 0; i < cases.length; i++) {
      Run r = run(cases[i]);
      assertEquals(2, r.code(), String.join(" ", cases[i]) + "\n" + r.err());
      assertTrue(r.err().contains(expect[i]), "expected '" + expect[i] + "' in: " + r.err());
      assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    }
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(dir.resolve("never.csv")));
    assertFalse(Files.exists(dir.resolve("never.safetensors")));
  }

  @Test
  void aFailedRunLeavesTheExistingModelUntouched() throws IOException {
    Path keep = dir.resolve("keep");
    assertEquals(0, train(keep, "--epochs", "1").code());
    byte[] before = Files.readAllBytes(keep.resolve(ModelDir.MODEL));
    Run r = train(keep, "--epochs", "1", "--lr", "1e9");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("diverged"), r.err());
    assertArrayEquals(before, Files.readAllBytes(keep.resolve(ModelDir.MODEL)));
  }

  /**
   * --split mixed: the same bits twice, other bits than the contiguous run of the same options,
   * recorded in the provenance and (only when not contiguous) in the checkpoint's options; the
   * test data stays contiguous, so predictions come in record order.
   */
  @Test
  void mixedSplitTrainsDeterministicallyAndIsRecorded() throws IOException {
    Path a = dir.resolve("mixed-a");
    Path b = dir.resolve("mixed-b");
    Run ra = train(a, with(OLD_BUT_SPLIT, "--epochs", "2", "--split", "mixed"));
    assertEquals(0, ra.code(), ra.err());
    assertEquals(0, train(b, with(OLD_BUT_SPLIT, "--epochs", "2", "--split", "Mixed")).code());
    assertArrayEquals(readModel(a).params(), readModel(b).params());
    assertFalse(java.util.Arrays.equals(readModel(model).params(), readModel(a).params()), "other partitions, other bits");
    assertEquals("mixed", readModel(a).provenance().get("dataset_split"));
    assertEquals("contiguous", readModel(model).provenance().get("dataset_split"));
    Checkpoints.Checkpoint mixed = new Checkpoints(a.toString(), new Configuration()).latest(System.err).orElseThrow();
    assertEquals("mixed", mixed.options().get("split"));
    Checkpoints.Checkpoint contiguous = new Checkpoints(model.toString(), new Configuration()).latest(System.err)
        .orElseThrow();
    assertFalse(contiguous.options().containsKey("split"), "absent = contiguous, as earlier builds wrote it");

    Path csv = dir.resolve("pred-mixed.csv");
    Run p = run("predict", "--model", a.toString(), "--data", testImages.toString(), "--out", csv.toString(),
        "--workers", "3");
    assertEquals(0, p.code(), p.err());
    List<String> rows = Files.readAllLines(csv);
    for (int i = 1; i < rows.size(); i++) {
      assertTrue(rows.get(i).startsWith((i - 1) + ","), "record order: " + rows.get(i));
    }

    Run bad = train(dir.resolve("never-split"), "--split", "zigzag");
    assertEquals(2, bad.code(), bad.err());
    assertTrue(bad.err().contains("--split must be contiguous|mixed, got 'zigzag'"), bad.err());
    assertFalse(Files.exists(dir.resolve("never-split")));
  }
}
