package org.cnnspark.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.cli.CliTest;
import org.cnnspark.driver.cli.Main;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html from a model directory (no Spark): self-contained, and its charts decode to images
 * whose curves are really drawn, in the series colours, going the way the numbers go.
 */
class TrainingReportTest {
  static final Pattern DATA_PNG = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

  @TempDir
  Path dir;

  /** A model directory as train leaves it: 2 epochs x 2 rounds, test scored at the end of each epoch when asked. */
  static Path modelDir(Path parent, boolean tested, List<String> classNames) throws IOException {
    Network net = Network.create(ModelSpec.parse("conv(4,3) relu maxpool(2) flatten dense(10)"), new Shape(1, 12, 12),
        Init.PYTORCH, 3);
    ModelFile model = ModelFile.of(net, Normalization.SCALE_ONLY, classNames,
        Map.of("seed", "7", "partitions", "2", "batch_size", "32", "dataset", "/data/train-<x>.gz", "created", "2026-11-28T10:00:00Z"),
        OptimizerConfig.sgd(0.05, 0.9, false, 0), null);
    List<String> lines = new ArrayList<>();
    double[] loss = {2.1, 1.2, 0.8, 0.6};
    double[] acc = {0.30, 0.55, 0.70, 0.78};
    double[] rate = {900, 1500, 1550, 1600};
    for (int i = 0; i < 4; i++) {
      boolean endOfEpoch = i % 2 == 1;
      double testAcc = tested && endOfEpoch ? acc[i] - 0.03 : Double.NaN;
      double testLoss = tested && endOfEpoch ? loss[i] + 0.1 : Double.NaN;
      long examples = 1000;
      lines.add(new RoundMetrics(i / 2 + 1, i % 2 + 1, 2, examples, loss[i], acc[i], testLoss, testAcc, 500,
          examples / rate[i], 0.5, 0.2, 0.01 * (4 - i)).toJson());
    }
    Path d = parent.resolve(tested ? "tested" : "untested");
    ModelDir.write(d.toString(), model, lines, new Configuration());
    return d;
  }

  static CliTest.Run runReport(Path modelDir) {
    return CliTest.run("report", "--model", modelDir.toString());
  }

  static String report(Path modelDir) {
    CliTest.Run r = runReport(modelDir);
    assertEquals(0, r.code(), r.err());
    assertEquals(modelDir.resolve(TrainingReport.FILE).toString(), r.out().strip(), "report prints the path it wrote");
    return read(modelDir.resolve(TrainingReport.FILE));
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new AssertionError("no report at " + p, e);
    }
  }

  static List<BufferedImage> charts(String html) throws IOException {
    List<BufferedImage> images = new ArrayList<>();
    Matcher m = DATA_PNG.matcher(html);
    while (m.find()) {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
      assertNotNull(image, "an embedded image does not decode as PNG");
      images.add(image);
    }
    return images;
  }

  /** Pixels within a small distance of the colour (anti-aliased edges blend; line and marker interiors do not). */
  record Trace(int count, int minX, int maxX, double leftY, double rightY) {}

  static Trace trace(BufferedImage image, Color color) {
    List<int[]> hits = new ArrayList<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        Color c = new Color(image.getRGB(x, y));
        int d = Math.abs(c.getRed() - color.getRed()) + Math.abs(c.getGreen() - color.getGreen())
            + Math.abs(c.getBlue() - color.getBlue());
        if (d <= 24) {
          hits.add(new int[] {x, y});
        }
      }
    }
    if (hits.isEmpty()) {
      return new Trace(0, -1, -1, Double.NaN, Double.NaN);
    }
    int minX = hits.stream().mapToInt(h -> h[0]).min().getAsInt();
    int maxX = hits.stream().mapToInt(h -> h[0]).max().getAsInt();
    int edge = Math.max(4, (maxX - minX) / 10);
    double leftY = hits.stream().filter(h -> h[0] <= minX + edge).mapToInt(h -> h[1]).average().orElse(Double.NaN);
    double rightY = hits.stream().filter(h -> h[0] >= maxX - edge).mapToInt(h -> h[1]).average().orElse(Double.NaN);
    return new Trace(hits.size(), minX, maxX, leftY, rightY);
  }

  /** A curve drawn across most of the plot, falling (screen y grows) or rising as the numbers do. */
  static void assertCurve(BufferedImage image, Color color, boolean falling, String what) {
    Trace t = trace(image, color);
    assertTrue(t.count() > 200, what + ": only " + t.count() + " pixels of the series colour (blank chart?)");
    assertTrue(t.maxX() - t.minX() > image.getWidth() / 2, what + ": the curve spans x " + t.minX() + ".." + t.maxX()
        + " of " + image.getWidth());
    assertTrue(falling ? t.leftY() < t.rightY() - 50 : t.leftY() > t.rightY() + 50,
        what + ": left end at y " + t.leftY() + ", right end at y " + t.rightY());
  }

  @Test
  void reportIsSelfContainedAndItsChartsShowTheCurves() throws IOException {
    Path model = modelDir(dir, true, List.of("t-shirt", "<trouser>", "c", "d", "e", "f", "g", "h", "i", "j"));
    String html = report(model);

    // Nothing to fetch: strip the data URIs, then no address, script, stylesheet link or import may remain.
    String rest = DATA_PNG.matcher(html).replaceAll("src=\"\"");
    for (String s : new String[] {"http:", "https:", "//", "<script", "<link", "@import", "url(", "<iframe", "<object"}) {
      assertFalse(rest.toLowerCase().contains(s), "the report references '" + s + "'");
    }
    Matcher src = Pattern.compile("(src|href)\\s*=\\s*\"([^\"]*)\"").matcher(rest);
    while (src.find()) {
      assertEquals("", src.group(2), "only embedded data may be referenced: " + src.group());
    }
    assertTrue(html.startsWith("<!DOCTYPE html>") && html.strip().endsWith("</html>"), "a whole page");

    List<BufferedImage> images = charts(html);
    assertEquals(3, images.size(), "loss, accuracy and throughput charts");
    for (BufferedImage image : images) {
      assertEquals(TrainingReport.CHART_WIDTH, image.getWidth());
      assertEquals(TrainingReport.CHART_HEIGHT, image.getHeight());
    }
    assertCurve(images.get(0), TrainingReport.TRAIN_COLOR, true, "train loss");
    assertCurve(images.get(0), TrainingReport.TEST_COLOR, true, "test loss");
    assertCurve(images.get(1), TrainingReport.TRAIN_COLOR, false, "train accuracy");
    assertCurve(images.get(1), TrainingReport.TEST_COLOR, false, "test accuracy");
    assertCurve(images.get(2), TrainingReport.THROUGHPUT_COLOR, false, "images/s");

    // Figures and settings as text: last and best test accuracy, whole-run throughput, escaped names.
    assertTrue(html.contains("75.00% (epoch 2, round 2)"), "last test accuracy");
    double seconds = 1000 / 900.0 + 1000 / 1500.0 + 1000 / 1550.0 + 1000 / 1600.0;
    String throughput = String.format(java.util.Locale.ROOT, "%,.0f images/s", 4000 / seconds);
    assertTrue(html.contains(throughput), "whole-run throughput " + throughput);
    assertTrue(html.contains("&lt;trouser&gt;") && !html.contains("<trouser>"), "class names are escaped");
    assertTrue(html.contains("/data/train-&lt;x&gt;.gz"), "dataset path shown, escaped");
    assertTrue(html.contains("sgd lr=0.05 momentum=0.9"), "optimizer settings");
    assertTrue(html.contains("<th class=n>learning rate</th>") && html.contains("<td class=n>0.04000</td></tr>")
        && html.contains("<td class=n>0.01000</td></tr>"), "each round's learning rate");
    try (Stream<Path> files = Files.list(model)) {
      assertEquals(List.of(ModelDir.METRICS, ModelDir.MODEL, TrainingReport.FILE),
          files.map(f -> f.getFileName().toString()).sorted().toList(), "no temporary left behind");
    }
  }

  @Test
  void withoutATestSetOnlyTheTrainingCurvesAppear() throws IOException {
    String html = report(modelDir(dir, false, List.of()));
    List<BufferedImage> images = charts(html);
    assertCurve(images.get(0), TrainingReport.TRAIN_COLOR, true, "train loss");
    assertEquals(0, trace(images.get(0), TrainingReport.TEST_COLOR).count(), "no test series without a test set");
    assertTrue(html.contains("no test set was scored"));
    assertFalse(html.contains("best test accuracy"));
  }

  @Test
  void metricsWrittenBeforeRatesWereRecordedShowNone() throws IOException {
    Path model = modelDir(Files.createDirectories(dir.resolve("before-rates")), false, List.of());
    List<String> old = Files.readAllLines(model.resolve(ModelDir.METRICS)).stream()
        .map(l -> l.replaceAll(",\"lr\":[^,}]*", "")).toList();
    assertFalse(old.get(0).contains("lr"), old.get(0));
    Files.write(model.resolve(ModelDir.METRICS), old);
    assertTrue(Double.isNaN(RoundMetrics.fromJson(old.get(0)).lr()));
    assertFalse(RoundMetrics.fromJson(old.get(0)).toJson().contains("lr"), "and writes none back");
    String html = report(model);
    assertEquals(4, Pattern.compile("<td class=n>&ndash;</td></tr>").matcher(html).results().count(), "no rate in 4 rounds");
  }

  @Test
  void reportReplacesAnOldOneAndRefusesBrokenMetrics() throws IOException {
    Path model = modelDir(dir, true, List.of());
    Files.writeString(model.resolve(TrainingReport.FILE), "stale");
    assertTrue(report(model).contains("Training report"), "the stale report is replaced");

    Files.writeString(model.resolve(ModelDir.METRICS), "{\"epoch\": 1, \"round\": 1}\n", java.nio.file.StandardOpenOption.APPEND);
    CliTest.Run r = runReport(model);
    assertEquals(Main.BAD_INPUT, r.code());
    String msg = r.err();
    assertTrue(msg.contains("metrics.jsonl line 5") && msg.contains("'loss'"), msg);
    assertTrue(read(model.resolve(TrainingReport.FILE)).contains("Training report"), "the good report is kept");
  }
}
