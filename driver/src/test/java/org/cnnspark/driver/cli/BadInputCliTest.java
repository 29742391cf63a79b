package org.cnnspark.driver.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.engine.io.SafeTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the CLI, table-driven in one JVM: broken data files, images, labels, model
 * files, safetensors, options and spec strings. Every case must exit 2 with one error paragraph that
 * names the file, record or option, print no stack trace, and write nothing; an existing model or
 * output file is never replaced by a failed run. Data is synthetic (no dataset needed).
 */
@Tag("slow")
class BadInputCliTest {
  static final String ARCH = "flatten dense(10)";
  static final int N = 40;

  @TempDir
  static Path dir;
  static SparkSession spark;
  static Path good;
  static Path model;
  static Path folder;
  static Path never;

  /** One bad-input case: the arguments and a text the error must contain. */
  record Case(String expect, String... args) {}

  @BeforeAll
  static void start() throws IOException {
    spark = LocalSpark.start(2, "cnn-spark bad input tests");
    good = writeIdx(dir.resolve("good"), "good", N, 28, 28, i -> i % 10, false);
    folder = dir.resolve("folder");
    for (int i = 0; i < 6; i++) {
      writePng(folder.resolve(i % 2 == 0 ? "cat" : "dog").resolve("img" + i + ".png"), 28, 28, i);
    }
    model = dir.resolve("model");
    CliTest.Run r = CliTest.run("train", "--data", good.toString(), "--arch", ARCH, "--epochs", "1", "--workers", "2",
        "--out", model.toString());
    assertEquals(0, r.code(), r.err());
    never = dir.resolve("never");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  interface LabelOf {
    int label(int i);
  }

  /** {prefix}-images-idx3-ubyte (and labels) with random pixels; returns the images file. */
  static Path writeIdx(Path d, String prefix, int n, int rows, int cols, LabelOf label, boolean gzip) throws IOException {
    Files.createDirectories(d);
    byte[] pixels = new byte[n * rows * cols];
    new Random(n).nextBytes(pixels);
    String gz = gzip ? ".gz" : "";
    Path images = d.resolve(prefix + "-images-idx3-ubyte" + gz);
    try (DataOutputStream out = new DataOutputStream(open(images, gzip))) {
      out.writeInt(0x803);
      out.writeInt(n);
      out.writeInt(rows);
      out.writeInt(cols);
      out.write(pixels);
    }
    try (DataOutputStream out = new DataOutputStream(open(d.resolve(prefix + "-labels-idx1-ubyte" + gz), gzip))) {
      out.writeInt(0x801);
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeByte(label.label(i));
      }
    }
    return images;
  }

  private static java.io.OutputStream open(Path f, boolean gzip) throws IOException {
    return gzip ? new GZIPOutputStream(Files.newOutputStream(f)) : Files.newOutputStream(f);
  }

  static void writePng(Path file, int w, int h, int seed) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    Random r = new Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, r.nextInt(256));
      }
    }
    ImageIO.write(img, "png", file.toFile());
  }

  static Path copyFolder(String name) throws IOException {
    Path to = dir.resolve(name);
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path t = to.resolve(folder.relativize(f));
        Files.createDirectories(t.getParent());
        Files.copy(f, t);
      }
    }
    return to;
  }

  /** train arguments: the defaults below, with {@code extra} options replacing those of the same name. */
  static String[] train(Path data, String... extra) {
    Map<String, String> opts = new LinkedHashMap<>();
    String[] base = {"--data", data.toString(), "--arch", ARCH, "--epochs", "1", "--workers", "2", "--out", never.toString()};
    for (int i = 0; i < base.length; i += 2) {
      opts.put(base[i], base[i + 1]);
    }
    for (int i = 0; i < extra.length; i++) {
      boolean flag = i + 1 == extra.length || extra[i + 1].startsWith("--");
      opts.put(extra[i], flag ? null : extra[++i]);
    }
    List<String> a = new ArrayList<>(List.of("train"));
    opts.forEach((k, v) -> {
      a.add(k);
      if (v != null) {
        a.add(v);
      }
    });
    return a.toArray(String[]::new);
  }

  /** Runs every case; each must exit 2 naming what the case expects, with no stack trace. */
  static void assertBad(List<Case> cases) {
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      CliTest.Run r = CliTest.run(c.args());
      String cmd = String.join(" ", c.args());
      if (r.code() != 2) {
        failures.add("exit " + r.code() + " (not 2) for: " + cmd + "\n" + r.err());
      } else if (!r.err().contains(c.expect())) {
        failures.add("'" + c.expect() + "' not in the error of: " + cmd + "\n" + r.err());
      } else if (r.err().contains("\tat ") || r.err().contains("Caused by")) {
        failures.add("stack trace without --verbose: " + cmd + "\n" + r.err());
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases failed:\n"
        + String.join("\n\n", failures));
    assertFalse(Files.exists(never), "a failed train wrote " + never);
  }

  static Path bytes(String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, content);
    return p;
  }

  @Test
  void brokenDataFiles() throws IOException {
    byte[] raw = Files.readAllBytes(good);
    Path truncated = bytes("trunc/t-images-idx3-ubyte", Arrays.copyOf(raw, 16 + 784 * 10 + 5));
    Files.copy(dir.resolve("good/good-labels-idx1-ubyte"), dir.resolve("trunc/t-labels-idx1-ubyte"));
    Path gz = writeIdx(dir.resolve("gz"), "g", N, 28, 28, i -> i % 10, true);
    byte[] gzBytes = Files.readAllBytes(gz);
    Path gzTruncated = bytes("gztrunc/g-images-idx3-ubyte.gz", Arrays.copyOf(gzBytes, gzBytes.length / 2));
    Files.copy(dir.resolve("gz/g-labels-idx1-ubyte.gz"), dir.resolve("gztrunc/g-labels-idx1-ubyte.gz"));
    byte[] corrupt = gzBytes.clone();
    for (int i = 20; i < 60; i++) {
      corrupt[i] = (byte) 0xff;
    }
    Path gzCorrupt = bytes("gzbad/g-images-idx3-ubyte.gz", corrupt);
    Files.copy(dir.resolve("gz/g-labels-idx1-ubyte.gz"), dir.resolve("gzbad/g-labels-idx1-ubyte.gz"));
    Path notIdx = bytes("junk/j-images-idx3-ubyte", "this is not an IDX file at all".getBytes(StandardCharsets.UTF_8));
    Path fewerLabels = writeIdx(dir.resolve("mismatch"), "m", N, 28, 28, i -> 1, false);
    writeIdx(dir.resolve("mismatch-labels"), "m", N - 1, 28, 28, i -> 1, false);
    Path empty = writeIdx(dir.resolve("empty"), "e", 0, 28, 28, i -> 0, false);
    Path emptyDir = Files.createDirectories(dir.resolve("empty-folder/cat"));

    assertBad(List.of(
        new Case("t-images-idx3-ubyte is truncated", train(truncated)),
        new Case("g-images-idx3-ubyte.gz", train(gzTruncated)),
        new Case("g-images-idx3-ubyte.gz", train(gzCorrupt)),
        new Case("it is a labels file", train(dir.resolve("good/good-labels-idx1-ubyte"))),
        new Case("is not an IDX file", train(notIdx, "--labels", dir.resolve("good/good-labels-idx1-ubyte").toString())),
        new Case("do not belong together", train(fewerLabels, "--labels",
            dir.resolve("mismatch-labels/m-labels-idx1-ubyte").toString())),
        new Case("holds no images: the dataset is empty", train(empty)),
        new Case("holds no images", train(emptyDir.getParent(), "--arch", "flatten dense(1)")),
        new Case("does not exist", train(dir.resolve("nowhere-images-idx3-ubyte"))),
        new Case("unknown data format 'tiff'", train(good, "--format", "tiff")),
        new Case("is a file", train(good, "--format", "images"))));
  }

  @Test
  void badImagesAndLabels() throws IOException {
    Path undecodable = copyFolder("undecodable");
    bytes("undecodable/dog/zz-broken.png", "\u0089PNG but then nothing".getBytes(StandardCharsets.ISO_8859_1));
    Path smaller = copyFolder("smaller");
    writePng(smaller.resolve("dog/zz-small.png"), 20, 20, 99);
    Path outOfRange = writeIdx(dir.resolve("range"), "r", N, 28, 28, i -> i == 7 ? 12 : i % 10, false);
    assertBad(List.of(
        new Case("zz-broken.png", train(undecodable, "--arch", "flatten dense(2)")),
        new Case("zz-small.png", train(smaller, "--arch", "flatten dense(2)")),
        new Case("--resize", train(smaller, "--arch", "flatten dense(2)")),
        new Case("--resize", train(folder, "--arch", "flatten dense(2)", "--input-shape", "3x28x28")),
        new Case("has labels up to 12 but the architecture has 10 outputs", train(outOfRange)),
        new Case("has 2 classes [cat, dog] but the architecture has 10 outputs", train(folder))));

    // the same data with the option that accepts it
    Path out = dir.resolve("resized");
    CliTest.Run r = CliTest.run(train(smaller, "--arch", "flatten dense(2)", "--resize", "--out", out.toString()));
    assertEquals(0, r.code(), r.err());
    r = CliTest.run(train(folder, "--arch", "conv(2,3) flatten dense(2)", "--input-shape", "3x28x28", "--resize",
        "--out", dir.resolve("rgb").toString()));
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void skipBadRecordsCountsAndReportsThem() throws IOException {
    Path undecodable = copyFolder("skip-images");
    bytes("skip-images/dog/zz-broken.png", "not a png".getBytes(StandardCharsets.UTF_8));
    bytes("skip-images/cat/zz-broken.jpg", "not a jpeg".getBytes(StandardCharsets.UTF_8));
    Path out = dir.resolve("skipped-model");
    // 6 images, one minibatch: one round per epoch, whose metrics line counts them (more rounds would be empty)
    CliTest.Run r = CliTest.run(train(undecodable, "--arch", "flatten dense(2)", "--skip-bad-records",
        "--rounds-per-epoch", "1", "--out", out.toString()));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("6 training images") && r.err().contains("(2 bad records skipped)"), r.err());
    assertEquals("2", CliTest.readModel(out).provenance().get("dataset_skipped"));
    assertEquals(6, new ObjectMapper().readTree(Files.readAllLines(out.resolve(ModelDir.METRICS)).get(0))
        .get("examples").asLong());

    CliTest.Run e = CliTest.run("evaluate", "--model", out.toString(), "--data", undecodable.toString(),
        "--skip-bad-records");
    assertEquals(0, e.code(), e.err());
    JsonNode j = new ObjectMapper().readTree(e.out());
    assertEquals(6, j.get("n").asLong());
    assertEquals(2, j.get("skipped").asLong());
    Path csv = dir.resolve("skipped.csv");
    CliTest.Run p = CliTest.run("predict", "--model", out.toString(), "--data", undecodable.toString(),
        "--skip-bad-records", "--out", csv.toString());
    assertEquals(0, p.code(), p.err());
    assertTrue(p.err().contains("wrote 6 predictions") && p.err().contains("2 bad records skipped"), p.err());
    assertEquals(7, Files.readAllLines(csv).size());

    // labels past the architecture's outputs are bad records too
    Path outOfRange = writeIdx(dir.resolve("range-skip"), "r", N, 28, 28, i -> i % 8 == 3 ? 12 : i % 10, false);
    Path out2 = dir.resolve("skipped-labels");
    CliTest.Run t = CliTest.run(train(outOfRange, "--skip-bad-records", "--out", out2.toString()));
    assertEquals(0, t.code(), t.err());
    assertTrue(t.err().contains("35 training images") && t.err().contains("(5 bad records skipped)"), t.err());
    CliTest.Run e2 = CliTest.run("evaluate", "--model", out2.toString(), "--data", outOfRange.toString(),
        "--skip-bad-records");
    assertEquals(0, e2.code(), e2.err());
    assertEquals(35, new ObjectMapper().readTree(e2.out()).get("n").asLong());
    assertEquals(5, new ObjectMapper().readTree(e2.out()).get("skipped").asLong());
  }

  @Test
  void fewerRecordsThanWorkersTrain() throws IOException {
    Path three = writeIdx(dir.resolve("three"), "three", 3, 28, 28, i -> i, false);
    Path out = dir.resolve("three-model");
    CliTest.Run r = CliTest.run("train", "--data", three.toString(), "--arch", ARCH, "--workers", "4", "--epochs", "2",
        "--rounds-per-epoch", "2", "--batch-size", "2", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out.resolve(ModelDir.METRICS));
    // one minibatch per partition and epoch, so the first of each epoch's 2 rounds trains nothing
    // and is not reported (no NaN loss line for the report to refuse)
    assertEquals(2, lines.size(), "the rounds that trained: " + lines);
    long seen = 0;
    for (String line : lines) {
      seen += new ObjectMapper().readTree(line).get("examples").asLong();
    }
    assertEquals(6, seen, "each of the 3 records once per epoch, whatever the round: " + lines);
    assertEquals("4", CliTest.readModel(out).provenance().get("partitions"));
    Path csv = dir.resolve("three.csv");
    CliTest.Run p = CliTest.run("predict", "--model", out.toString(), "--data", three.toString(), "--workers", "8",
        "--out", csv.toString());
    assertEquals(0, p.code(), p.err());
    List<String> rows = Files.readAllLines(csv);
    assertEquals(4, rows.size(), "header and three records from 8 partitions: " + rows);
    for (int i = 0; i < 3; i++) {
      assertTrue(rows.get(i + 1).startsWith(i + "," + i + ","), "record order and labels: " + rows);
    }
    for (float v : CliTest.readModel(out).params()) {
      assertTrue(Float.isFinite(v));
    }
  }

  @Test
  void brokenModelFiles() throws IOException {
    byte[] file = Files.readAllBytes(model.resolve(ModelDir.MODEL));
    Path truncated = bytes("m-trunc/" + ModelDir.MODEL, Arrays.copyOf(file, file.length / 2));
    byte[] v2 = file.clone();
    ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
    Path version2 = bytes("m-v2/" + ModelDir.MODEL, v2);
    byte[] flipped = file.clone();
    flipped[file.length - 100] ^= 1;
    Path badSum = bytes("m-crc/" + ModelDir.MODEL, flipped);
    Path safetensors = bytes("m-st/" + ModelDir.MODEL, Files.readAllBytes(exported()));
    List<Case> cases = new ArrayList<>();
    Object[][] broken = {{truncated, "fails its checksum"}, {version2, "has format version 2; this build of cnn-spark reads"
        + " version 1"}, {badSum, "fails its checksum"}, {safetensors, "is not a cnn-spark model file (it does not start with the CNNSPARK magic bytes); it looks like a"
        + " safetensors file"}};
    for (Object[] b : broken) {
      String d = ((Path) b[0]).getParent().toString();
      String expect = "model file " + b[0] + " " + b[1];
      cases.add(new Case(expect, "evaluate", "--model", d, "--data", good.toString()));
      cases.add(new Case(expect, "predict", "--model", d, "--data", good.toString(), "--out", never + ".csv"));
      cases.add(new Case(expect, "inspect", "--model", d));
      cases.add(new Case(expect, "report", "--model", d));
      cases.add(new Case(expect, "export", "--model", d, "--out", never + ".safetensors"));
      cases.add(new Case("is a cnn-spark model file, not safetensors", "train", "--data", good.toString(), "--init",
          b[0].toString(), "--arch", ARCH, "--out", never.toString()));
    }
    cases.set(cases.size() - 1, new Case("declares a header of 0 bytes", "train", "--data", good.toString(), "--init",
        bytes("short.safetensors", new byte[8]).toString(), "--arch", ARCH, "--out", never.toString()));
    // a metrics file is read whole: one of 65 MB (sparse, no disk used) is refused by its length
    Path hugeMetrics = bytes("m-metrics/" + ModelDir.MODEL, file);
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(hugeMetrics.resolveSibling(ModelDir.METRICS).toFile(),
        "rw")) {
      f.setLength(65L << 20);
    }
    cases.add(new Case(ModelDir.METRICS + " is 68157440 bytes, more than the 67108864", "inspect", "--model",
        hugeMetrics.getParent().toString()));
    assertBad(cases);
    assertFalse(Files.exists(Path.of(never + ".csv")));
    assertFalse(Files.exists(Path.of(never + ".safetensors")));
  }

  static Path exported() {
    Path st = dir.resolve("weights.safetensors");
    if (!Files.exists(st)) {
      CliTest.Run r = CliTest.run("export", "--model", model.toString(), "--out", st.toString());
      assertEquals(0, r.code(), r.err());
    }
    return st;
  }

  @Test
  void brokenSafetensors() throws IOException {
    Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(exported());
    Map<String, SafeTensors.Tensor> missing = new LinkedHashMap<>(tensors);
    missing.remove("fc1.bias");
    Map<String, SafeTensors.Tensor> extra = new LinkedHashMap<>(tensors);
    extra.put("fc9.weight", new SafeTensors.Tensor(new int[] {2}, new float[2]));
    Map<String, SafeTensors.Tensor> shape = new LinkedHashMap<>(tensors);
    shape.put("fc1.weight", new SafeTensors.Tensor(new int[] {784, 10}, tensors.get("fc1.weight").data()));
    Path[] files = {write("missing.safetensors", missing), write("extra.safetensors", extra),
        write("shape.safetensors", shape)};
    String[] expect = {"missing fc1.bias (10)", "unexpected fc9.weight (2)", "fc1.weight has shape (784, 10), expected (10, 784)"};
    ByteArrayOutputStream absurd = new ByteArrayOutputStream();
    absurd.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE / 3).array());
    absurd.write("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    Path absurdFile = bytes("absurd.safetensors", absurd.toByteArray());

    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < files.length; i++) {
      cases.add(new Case(expect[i], "predict", "--model", files[i].toString(), "--arch", ARCH, "--data", good.toString(),
          "--out", never + ".csv"));
      cases.add(new Case(expect[i], "evaluate", "--model", files[i].toString(), "--arch", ARCH, "--data", good.toString()));
      cases.add(new Case(expect[i], train(good, "--init", files[i].toString())));
    }
    String header = "safetensors file " + absurdFile + " declares a header of " + Long.MAX_VALUE / 3 + " bytes";
    cases.add(new Case(header, "predict", "--model", absurdFile.toString(), "--arch", ARCH, "--data", good.toString(),
        "--out", never + ".csv"));
    cases.add(new Case(header, train(good, "--init", absurdFile.toString())));
    cases.add(new Case("--init-skip needs --init", train(good, "--init-skip", "fc1")));
    cases.add(new Case("--freeze fc names no trainable tensor of this model", train(good, "--freeze", "fc")));
    cases.add(new Case("normalisation has 3 channels but the input 1x28x28 has 1", train(good, "--normalize", "imagenet")));
    cases.add(new Case("--normalize 'mean=0.5': give none, imagenet, or mean=", train(good, "--normalize", "mean=0.5")));
    cases.add(new Case("--augment 'rotate': unknown 'rotate'", train(good, "--augment", "rotate")));
    cases.add(new Case("freezes every trainable tensor: nothing would train", train(good, "--freeze", "fc1")));
    cases.add(new Case("--init-skip fc names no tensor of this model; its tensors are [fc1.weight",
        train(good, "--init", exported().toString(), "--init-skip", "fc")));
    cases.add(new Case("architecture 'flatten dense(10) relu dense(10)' on input 1x28x28", "predict", "--model",
        exported().toString(), "--arch", "flatten dense(10) relu dense(10)", "--data", good.toString(), "--out",
        never + ".csv"));
    assertBad(cases);
    assertFalse(Files.exists(Path.of(never + ".csv")));
  }

  static Path write(String name, Map<String, SafeTensors.Tensor> tensors) throws IOException {
    Path p = dir.resolve(name);
    SafeTensors.write(p, tensors, Map.of());
    return p;
  }

  @Test
  void badOptionsAndSpecStrings() {
    String[][] specs = {
        {"conv(8,3", "conv(8,3"},
        {"dense(-5)", "dense(-5)"},
        {"dense(abc)", "out='abc' is not an integer"},
        {"flatten dense(10) pool(2)", "unknown layer 'pool'"},
        {"{\"layers\": [", "JSON"},
        {"conv(8,30) flatten dense(10)", "does not fit input 1x28x28"},
        {"flatten dense(99999999)", "has more than 2147483647 parameters"},
        {"flatten dense(1000000)", "floats"},
        {"", "architecture"},
    };
    List<Case> cases = new ArrayList<>();
    for (String[] s : specs) {
      cases.add(new Case(s[1], train(good, "--arch", s[0])));
    }
    cases.addAll(List.of(
        new Case("Unknown options: '--epoch'", train(good, "--epoch", "3")),
        new Case("--workers must be >= 1", train(good, "--workers", "0")),
        new Case("--batch-size", train(good, "--batch-size", "0")),
        new Case("--epochs", train(good, "--epochs", "-1")),
        new Case("--rounds-per-epoch", train(good, "--rounds-per-epoch", "0")),
        new Case("--rounds-per-epoch takes", train(good, "--rounds-per-epoch", "")),
        new Case("--rounds-per-epoch takes", train(good, "--rounds-per-epoch", "4,x")),
        new Case("--rounds-per-epoch takes", train(good, "--rounds-per-epoch", "3,0")),
        new Case("--rounds-per-epoch takes", train(good, "--rounds-per-epoch", "3,,1")),
        new Case("lists 2 epochs but the run has 1: give at most 1 entries to --rounds-per-epoch",
            train(good, "--rounds-per-epoch", "3,1")),
        new Case("--outer must be average, momentum, bmuf or diloco, got 'slowmo'", train(good, "--outer", "slowmo")),
        new Case("--outer-lr", train(good, "--outer", "diloco", "--outer-lr", "-0.5")),
        new Case("--outer-lr", train(good, "--outer-lr", "100")),
        new Case("--outer-lr", train(good, "--outer-lr", "0")),
        new Case("--outer-momentum", train(good, "--outer", "bmuf", "--outer-momentum", "1")),
        new Case("--outer-momentum", train(good, "--outer-momentum", "-0.1")),
        new Case("--outer-nesterov", train(good, "--outer-nesterov", "maybe")),
        new Case("learning rate must be > 0", train(good, "--lr", "-0.1")),
        new Case("learning rate must be > 0", train(good, "--lr", "NaN")),
        new Case("--epochs", train(good, "--epochs", "many")),
        new Case("--momentum", train(good, "--momentum", "-1")),
        new Case("--weight-decay", train(good, "--weight-decay", "-1")),
        new Case("--optimizer must be sgd", train(good, "--optimizer", "rmsprop")),
        new Case("--nesterov applies to --optimizer sgd only", train(good, "--optimizer", "adam", "--nesterov")),
        new Case("input shape '1x28' must be CxHxW", train(good, "--input-shape", "1x28")),
        new Case("--input-shape 1x0x28: shape dimensions must be positive", train(good, "--input-shape", "1x0x28")),
        new Case("images of shape 1x100000x100000 (10000000000 bytes each) are larger", train(good, "--input-shape",
            "1x100000x100000", "--resize")),
        new Case("Missing required option: '--out", "train", "--data", good.toString()),
        new Case("--out " + good + " is a file", "train", "--data", good.toString(), "--out", good.toString()),
        new Case("--out " + dir + " is a directory", "predict", "--model", model.toString(), "--data", good.toString(),
            "--out", dir.toString()),
        new Case("--arch and --input-shape apply only to a .safetensors --model", "evaluate", "--model", model.toString(),
            "--arch", ARCH, "--data", good.toString()),
        new Case("no model at", "inspect", "--model", dir.resolve("nothing").toString()),
        new Case("Unmatched argument", "frobnicate")));
    assertBad(cases);
    CliTest.Run verbose = CliTest.run(train(good, "--epochs", "0", "--verbose"));
    assertEquals(2, verbose.code(), verbose.err());
    assertTrue(verbose.err().contains("epochs must be >= 1") && verbose.err().contains("\tat "),
        "--verbose adds the stack trace: " + verbose.err());
  }

  @Test
  void badLearningRateOptions() {
    assertBad(List.of(
        new Case("--lr-schedule must be constant, step or cosine, got 'cosinus'", train(good, "--lr-schedule", "cosinus")),
        new Case("--lr-scaling must be none, linear or sqrt, got 'double'", train(good, "--lr-scaling", "double")),
        new Case("--lr-schedule step needs --lr-milestones", train(good, "--lr-schedule", "step")),
        new Case("--lr-schedule step needs --lr-milestones", train(good, "--lr-schedule", "step", "--lr-milestones", "")),
        new Case("--lr-milestones must be epochs separated by commas", train(good, "--lr-schedule", "step",
            "--lr-milestones", "0.5,x")),
        new Case("--lr-milestones must increase, got 0.5,0.2", train(good, "--lr-schedule", "step", "--lr-milestones",
            "0.5,0.2")),
        new Case("--lr-milestones must be epochs > 0", train(good, "--lr-schedule", "step", "--lr-milestones", "-1")),
        new Case("--lr-milestones 0.5,2.0 go beyond the run's 1 epoch", train(good, "--lr-schedule", "step",
            "--lr-milestones", "0.5,2")),
        new Case("--lr-milestones applies to --lr-schedule step only", train(good, "--lr-milestones", "0.5")),
        new Case("--lr-gamma applies to --lr-schedule step only", train(good, "--lr-gamma", "0.5")),
        new Case("--lr-gamma must be in (0, 1], got 2.0", train(good, "--lr-schedule", "step", "--lr-milestones", "0.5",
            "--lr-gamma", "2")),
        new Case("Invalid value for option '--lr-gamma'", train(good, "--lr-gamma", "abc")),
        new Case("--lr-min applies to --lr-schedule cosine only", train(good, "--lr-min", "0.001")),
        new Case("--lr-min 0.5 must be below the learning rate 0.01 (--lr)", train(good, "--lr-schedule", "cosine",
            "--lr-min", "0.5")),
        new Case("--max-lr-scale must be in [1, 1024], got -1.0", train(good, "--lr-scaling", "linear", "--max-lr-scale",
            "-1")),
        new Case("--max-lr-scale must be in [1, 1024], got 1000000.0", train(good, "--lr-scaling", "linear",
            "--max-lr-scale", "1e6")),
        new Case("--warmup-epochs 2.0 is longer than the run's 1 epoch", train(good, "--lr-scaling", "linear",
            "--warmup-epochs", "2")),
        new Case("--warmup-epochs must be >= 0", train(good, "--lr-scaling", "sqrt", "--warmup-epochs", "-1"))));
  }

  @Test
  void failedRunsLeaveExistingOutputsUntouched() throws IOException {
    Path keep = dir.resolve("keep");
    assertEquals(0, CliTest.run(train(good, "--out", keep.toString())).code());
    byte[] before = Files.readAllBytes(keep.resolve(ModelDir.MODEL));
    // fails on the executors, while loading: the first image decodes, a later one does not
    Path undecodable = copyFolder("keep-images");
    bytes("keep-images/dog/zz-broken.png", "not a png".getBytes(StandardCharsets.UTF_8));
    Path csv = bytes("keep.csv", "old,csv\n".getBytes(StandardCharsets.UTF_8));
    Path st = bytes("keep.safetensors", "old weights".getBytes(StandardCharsets.UTF_8));
    byte[] flipped = before.clone();
    flipped[before.length / 2] ^= 1;
    Path badModel = bytes("keep-bad/" + ModelDir.MODEL, flipped);
    assertBad(List.of(
        new Case("zz-broken.png", train(undecodable, "--arch", "flatten dense(2)", "--out", keep.toString())),
        new Case("zz-broken.png", "predict", "--model", exported().toString(), "--arch", ARCH, "--input-shape", "1x28x28",
            "--data", undecodable.toString(), "--out", csv.toString()),
        new Case("fails its checksum", "predict", "--model", badModel.getParent().toString(), "--data", good.toString(),
            "--out", csv.toString()),
        new Case("fails its checksum", "export", "--model", badModel.getParent().toString(), "--out", st.toString())));
    assertArrayEquals(before, Files.readAllBytes(keep.resolve(ModelDir.MODEL)), "the old model is intact");
    assertEquals("old,csv\n", Files.readString(csv));
    assertEquals("old weights", Files.readString(st));
    try (Stream<Path> files = Files.list(dir)) {
      List<String> hidden = files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
      assertTrue(hidden.isEmpty(), "temporary files left behind: " + hidden);
    }
  }
}
