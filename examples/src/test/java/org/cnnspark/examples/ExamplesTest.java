package org.cnnspark.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.engine.io.Idx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example runs, on local[2] and small data cut from Fashion-MNIST, and learns: the Spark ML
 * pipeline, image-folder training (PNG folders written here), CIFAR-10 binary batches (written
 * here in that format) and PyTorch interop (our exported weights scored by the Python script).
 */
class ExamplesTest {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  static final String SMALL_ARCH =
      "conv(8,3,pad=1) relu maxpool(2) conv(16,3,pad=1) relu maxpool(2) flatten dense(32) relu dense(10)";
  static final String[] CLASSES = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
      "ankle-boot"};

  @TempDir
  static Path dir;
  static SparkSession spark;
  static Idx.Images trainImages;
  static int[] trainLabels;
  static Idx.Images testImages;
  static int[] testLabels;

  @BeforeAll
  static void start() throws IOException {
    assumeTrue(Files.exists(FASHION.resolve("t10k-images-idx3-ubyte.gz")), "Fashion-MNIST is not installed at " + FASHION
        + "; install it with: apt-get install -y dataset-fashion-mnist");
    trainImages = Idx.readImages(FASHION.resolve("train-images-idx3-ubyte.gz"));
    trainLabels = Idx.readLabels(FASHION.resolve("train-labels-idx1-ubyte.gz"));
    testImages = Idx.readImages(FASHION.resolve("t10k-images-idx3-ubyte.gz"));
    testLabels = Idx.readLabels(FASHION.resolve("t10k-labels-idx1-ubyte.gz"));
    spark = SparkSession.builder().master("local[2]").appName("cnn-spark examples")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        // Small files: one scan partition per core, not one per 32 files (Spark's 4 MB open cost per file)
        .config("spark.sql.files.openCostInBytes", "65536")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config(KryoSettings.apply(new SparkConf(false)))
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Tag("compat")
  @Test
  void fashionMnistPipelineLearnsAndSurvivesSaveAndLoad() throws IOException {
    Path data = fashionSubset(dir.resolve("fashion-small"), 1500, 400);
    // lr is one worker's rate (the default linear scaling doubles it on local[2]); the mixed split and 4 rounds per
    // epoch put this 1,500-image run near 0.5 after 2 epochs (0.43-0.49), so it trains 3
    FashionMnistPipeline.Result r = FashionMnistPipeline.run(spark, data, 1500, 400, SMALL_ARCH, 3, 32, 0.025,
        dir.resolve("pipeline").toString());
    assertTrue(r.accuracy() > 0.5, "3 epochs of 1,500 images (chance 0.1): " + r.accuracy());
    assertEquals(r.accuracy(), r.reloadedAccuracy(), "the saved and loaded PipelineModel scores the same");
  }

  @Tag("compat")
  @Test
  void imageFolderTrainingReadsClassFoldersOfPngs() throws IOException {
    Path folder = dir.resolve("images");
    for (int i = 0; i < 600; i++) {
      Path classDir = folder.resolve(CLASSES[trainLabels[i]]);
      Files.createDirectories(classDir);
      ImageIO.write(gray(trainImages.pixels(), i), "png", classDir.resolve(String.format("%04d.png", i)).toFile());
    }
    ImageFolderTraining.Result r = ImageFolderTraining.run(spark, folder.toString(), SMALL_ARCH, 5, 16, 0.05, 42);
    List<String> sorted = new ArrayList<>(List.of(CLASSES));
    sorted.sort(null);
    assertEquals(sorted, r.classes(), "class i is the i-th folder name");
    assertEquals(600, r.trainCount() + r.testCount(), "every PNG read once");
    assertTrue(r.testCount() > 60, "about 20% held out: " + r.testCount());
    assertTrue(r.accuracy() > 0.4, "5 epochs of ~480 images (chance 0.1): " + r.accuracy());
    assertTrue(r.sample().stream().allMatch(row -> sorted.contains(row.getString(1))), "predictions named: " + r.sample());
  }

  @Test
  void cifar10BinaryBatchesTrainAndWriteTheReport() throws IOException {
    // Fashion-MNIST images in CIFAR-10's layout: 28x28 centred on 32x32, the R, G, B planes tinted differently.
    Path cifar = dir.resolve("cifar-10-batches-bin");
    Files.createDirectories(cifar);
    writeCifar(cifar.resolve("data_batch_1.bin"), trainImages.pixels(), trainLabels, 0, 1200);
    writeCifar(cifar.resolve("test_batch.bin"), testImages.pixels(), testLabels, 0, 300);
    Path model = dir.resolve("cifar-model");
    double accuracy = Cifar10Training.run(cifar.toString(), SMALL_ARCH, 3, 0.05, model.toString());
    assertTrue(accuracy > 0.4, "3 epochs of 1,200 CIFAR-format images (chance 0.1): " + accuracy);
    String report = Files.readString(model.resolve("report.html"));
    assertTrue(report.contains("data:image/png;base64,") && report.contains("3x32x32"), "the report shows the run");
  }

  @Test
  void pytorchScoresOurExportedWeightsTheSame() throws Exception {
    Path python = Path.of("/usr/bin/python3");
    assumeTrue(Files.isExecutable(python) && run(List.of(python.toString(), "-c", "import torch")).code() == 0,
        "PyTorch is not installed; install it with: apt-get install -y python3-torch");
    Path data = fashionSubset(dir.resolve("fashion-interop"), 3000, 1000);
    Path weights = dir.resolve("tutorial-cnn.safetensors");

    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      EngineOnly.main(new String[] {data.toString(), "2", weights.toString()});
    } finally {
      System.setOut(stdout);
    }
    String ours = lastPercent(captured.toString(StandardCharsets.UTF_8), "test accuracy ");

    Path script = Path.of(System.getProperty("user.dir")).resolve("python/evaluate_in_pytorch.py");
    Run torch = run(List.of(python.toString(), script.toString(), weights.toString(), data.toString()));
    assertEquals(0, torch.code(), torch.out());
    String theirs = lastPercent(torch.out(), "PyTorch test accuracy with " + weights + ": ");
    assertTrue(Double.parseDouble(ours) > 60, "2 epochs of 3,000 images: " + ours + "%");
    // 1,000 images: one image is 0.1%. The same weights and images give the same predictions unless
    // an image's top two logits tie to within float rounding; allow that one image, no more.
    assertEquals(Double.parseDouble(ours), Double.parseDouble(theirs), 0.1 + 1e-9,
        "PyTorch with our weights: " + theirs + "%, ours: " + ours + "%");
  }

  @Test
  void torchvisionStateDictsConvertForInit() throws Exception {
    Path python = Path.of("/usr/bin/python3");
    assumeTrue(Files.isExecutable(python) && run(List.of(python.toString(), "-c", "import torchvision")).code() == 0,
        "torchvision is not installed; install it with: apt-get install -y python3-torchvision");
    Path pth = dir.resolve("resnet18.pth");
    Path wrapped = dir.resolve("wrapped.pth");
    // torchvision's resnet18 as torch.save writes it, and the same in a training checkpoint under nn.DataParallel
    Run saved = run(List.of(python.toString(), "-c", "import torch, torchvision, json; torch.manual_seed(0);"
        + " m = torchvision.models.resnet18(num_classes=10); sd = m.state_dict(); torch.save(sd, '" + pth + "');"
        + " torch.save({'epoch': 3, 'state_dict': {'module.' + k: v for k, v in sd.items()}}, '" + wrapped + "');"
        + " print(json.dumps(sd['fc.bias'].tolist()))"));
    assertEquals(0, saved.code(), saved.out());
    float[] bias = new float[10];
    String[] values = saved.out().trim().replaceAll("[\\[\\]]", "").split(",");
    for (int i = 0; i < 10; i++) {
      bias[i] = Float.parseFloat(values[i].trim());
    }
    Path script = Path.of(System.getProperty("user.dir")).resolve("python/pth_to_safetensors.py");
    for (List<String> args : List.of(List.of(pth.toString()), List.of(wrapped.toString(), "--strip-prefix", "module."))) {
      Path out = dir.resolve("converted-" + args.size() + ".safetensors");
      List<String> command = new java.util.ArrayList<>(List.of(python.toString(), script.toString(), args.get(0),
          out.toString()));
      command.addAll(args.subList(1, args.size()));
      Run converted = run(command);
      assertEquals(0, converted.code(), converted.out());
      org.cnnspark.engine.Network net = org.cnnspark.engine.Network.create(
          org.cnnspark.engine.ModelSpec.parse("resnet18(classes=10)"), org.cnnspark.engine.Shape.parse("3x32x32"),
          org.cnnspark.engine.Init.PYTORCH, 1);
      org.cnnspark.engine.io.StateDict.load(net, org.cnnspark.engine.io.SafeTensors.read(out), out.toString()); // strict
      org.cnnspark.engine.ParamView fc = net.view("fc.bias");
      assertArrayEquals(bias, org.cnnspark.engine.Buffers.toArray(net.params().slice(fc.offset(), 10), 10), 1e-7f);
    }
    Run refused = run(List.of(python.toString(), script.toString(), script.toString(), dir.resolve("x.safetensors").toString()));
    assertTrue(refused.code() != 0 && refused.out().contains("does not load as plain tensors"), refused.out());
  }

  record Run(int code, String out) {}

  static Run run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("LD_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu/openblas-openmp");
    pb.environment().put("OMP_NUM_THREADS", "2");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python did not finish");
    return new Run(p.exitValue(), out);
  }

  static String lastPercent(String text, String prefix) {
    Matcher m = Pattern.compile(Pattern.quote(prefix) + "([0-9.]+)%").matcher(text);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    assertTrue(last != null, "no '" + prefix + "N%' in:\n" + text);
    return last;
  }

  /** The first nTrain / nTest Fashion-MNIST images under the dataset's own file names. */
  static Path fashionSubset(Path out, int nTrain, int nTest) throws IOException {
    Files.createDirectories(out);
    writeIdx(out, "train", trainImages.pixels(), trainLabels, nTrain);
    writeIdx(out, "t10k", testImages.pixels(), testLabels, nTest);
    return out;
  }

  static void writeIdx(Path out, String prefix, byte[] pixels, int[] labels, int n) throws IOException {
    try (DataOutputStream o = new DataOutputStream(new GZIPOutputStream(
        Files.newOutputStream(out.resolve(prefix + "-images-idx3-ubyte.gz"))))) {
      o.writeInt(0x803);
      o.writeInt(n);
      o.writeInt(28);
      o.writeInt(28);
      o.write(pixels, 0, n * 784);
    }
    try (DataOutputStream o = new DataOutputStream(new GZIPOutputStream(
        Files.newOutputStream(out.resolve(prefix + "-labels-idx1-ubyte.gz"))))) {
      o.writeInt(0x801);
      o.writeInt(n);
      for (int i = 0; i < n; i++) {
        o.writeByte(labels[i]);
      }
    }
  }

  static BufferedImage gray(byte[] pixels, int index) {
    BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(pixels, index * 784, (index + 1) * 784));
    return image;
  }

  /** CIFAR-10 records: 1 label byte, then the 32x32 red, green and blue planes. */
  static void writeCifar(Path file, byte[] pixels, int[] labels, int from, int n) throws IOException {
    byte[] out = new byte[n * 3073];
    for (int i = 0; i < n; i++) {
      int label = labels[from + i];
      int at = i * 3073;
      out[at] = (byte) label;
      for (int c = 0; c < 3; c++) {
        double tint = 0.5 + 0.25 * ((i + c) % 3);  // colour varies by record, not by class
        for (int y = 0; y < 28; y++) {
          for (int x = 0; x < 28; x++) {
            int p = pixels[(from + i) * 784 + y * 28 + x] & 0xff;
            out[at + 1 + c * 1024 + (y + 2) * 32 + (x + 2)] = (byte) Math.round(p * tint);
          }
        }
      }
    }
    Files.write(file, out);
  }
}
