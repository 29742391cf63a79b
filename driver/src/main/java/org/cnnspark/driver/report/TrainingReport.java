package org.cnnspark.driver.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.kernels.JavaGemm;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code MODEL_DIR/report.html}: loss, accuracy and throughput per round as charts, the final
 * figures, the run's settings and every round's numbers, in one file that a browser opens with no
 * network (PNGs as data URIs, inline CSS, no scripts). Built from what the model directory already
 * holds ({@code metrics.jsonl}, {@code model.cnn}), so {@code cnn-spark report} can rebuild it any time.
 */
public final class TrainingReport {
  public static final String FILE = "report.html";
  public static final int CHART_WIDTH = 800;
  public static final int CHART_HEIGHT = 340;
  /** Series colours (matplotlib's first three, so the charts look familiar next to PyTorch plots). */
  public static final Color TRAIN_COLOR = new Color(0x1f77b4);
  public static final Color TEST_COLOR = new Color(0xff7f0e);
  public static final Color THROUGHPUT_COLOR = new Color(0x2ca02c);


  static {
    // Charts are drawn into images; never reach for a display (there is none on a cluster's driver).
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private TrainingReport() {}

  /** Position on the epoch axis: the end of round r of K in epoch e is e - 1 + r / K. */
  static double x(RoundMetrics r) {
    return r.epoch() - 1 + (double) r.round() / r.roundsPerEpoch();
  }

  /** Parses metrics.jsonl lines (blank lines ignored); {@code source} names the file in errors. */
  public static List<RoundMetrics> parse(List<String> lines, String source) {
    List<RoundMetrics> rounds = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      try {
        rounds.add(RoundMetrics.fromJson(line));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + " is not a round of metrics as train writes them ("
            + e.getMessage().lines().findFirst().orElse("") + "): fix or remove that line, or train again");
      }
    }
    return rounds;
  }

  /**
   * Writes MODEL_DIR/report.html from the directory's model.cnn and metrics.jsonl, atomically
   * through Hadoop's FileSystem API (any existing report is replaced only by a complete one).
   *
   * @return the report's path
   */
  public static String write(String modelDir, Configuration conf) throws IOException {
    ModelFile model = ModelDir.read(modelDir, conf);
    String metricsFile = new Path(modelDir, ModelDir.METRICS).toString();
    List<RoundMetrics> rounds = parse(ModelDir.readMetrics(modelDir, conf), metricsFile);
    if (rounds.isEmpty()) {
      throw new IllegalArgumentException(metricsFile + " is missing or has no rounds: there is nothing to report "
          + "(train writes it; a model directory from elsewhere may lack it)");
    }
    byte[] page = html(modelDir, model, rounds).getBytes(StandardCharsets.UTF_8);
    String file = new Path(modelDir, FILE).toString();
    HadoopFiles.write(file, conf, out -> out.write(page));
    return file;
  }

  /**
   * {@link #write} for the end of training: a report that cannot be drawn (say, a JVM without
   * fonts) costs a warning, never the model that was just written.
   *
   * @return the report's path, or null when it was not written
   */
  public static String writeAfterTraining(String modelDir, Configuration conf, PrintStream log) {
    try {
      return write(modelDir, conf);
    } catch (Exception | Error e) {
      // Font and AWT failures surface as RuntimeException, UnsatisfiedLinkError or InternalError alike.
      if (e instanceof OutOfMemoryError oom) {
        throw oom;
      }
      log.println("cnn-spark: warning: the model is saved, but " + FILE + " could not be written (" + e
          + "); retry with: cnn-spark report --model " + modelDir
          + " (on Debian, charts need a font: apt-get install -y fonts-dejavu-core)");
      return null;
    }
  }

  /** The whole page. */
  public static String html(String modelDir, ModelFile model, List<RoundMetrics> rounds) {
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>cnn-spark training report: ").append(esc(modelDir)).append("</title>\n")
        .append("<style>\n")
        .append("body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:2em auto;max-width:840px;color:#222;padding:0 1em}\n")
        .append("h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}\n")
        .append("table{border-collapse:collapse;font-size:.9em}td,th{padding:.2em .8em;border-bottom:1px solid #eee;")
        .append("text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n")
        .append("img{max-width:100%;height:auto}.key{display:inline-block;width:1em;height:.6em;margin:0 .3em 0 1em}\n")
        .append("</style>\n</head>\n<body>\n");
    h.append("<h1>Training report</h1>\n<p>Model directory <code>").append(esc(modelDir)).append("</code>");
    String created = model.provenance().get("created");
    if (created != null) {
      h.append(", trained ").append(esc(created));
    }
    h.append(".</p>\n");

    h.append("<h2>Final figures</h2>\n");
    table(h, finalFigures(rounds));

    boolean tested = rounds.stream().anyMatch(RoundMetrics::tested);
    h.append("<h2>Loss</h2>\n").append(keys(tested)).append('\n');
    image(h, "mean cross-entropy loss per round", lossChart(rounds));
    h.append("<h2>Accuracy</h2>\n").append(keys(tested)).append('\n');
    image(h, "accuracy per round, percent", accuracyChart(rounds));
    h.append("<h2>Throughput</h2>\n<p>Training images per second of each round's wall time (broadcast, tasks, "
        + "averaging; scoring the test set not included).</p>\n");
    image(h, "training images per second per round", throughputChart(rounds));

    h.append("<h2>Settings</h2>\n");
    table(h, settings(model));

    h.append("<h2>Rounds</h2>\n<table>\n<tr><th class=n>epoch</th><th class=n>round</th><th class=n>loss</th>")
        .append("<th class=n>train acc</th><th class=n>test loss</th><th class=n>test acc</th><th class=n>images/s</th>")
        .append("<th class=n>seconds</th><th class=n>learning rate</th></tr>\n");
    for (RoundMetrics r : rounds) {
      h.append("<tr><td class=n>").append(r.epoch()).append("</td><td class=n>").append(r.round()).append('/')
          .append(r.roundsPerEpoch()).append("</td><td class=n>").append(fmt("%.4f", r.loss()))
          .append("</td><td class=n>").append(percent(r.trainAccuracy()))
          .append("</td><td class=n>").append(r.tested() ? fmt("%.4f", r.testLoss()) : "&ndash;")
          .append("</td><td class=n>").append(r.tested() ? percent(r.testAccuracy()) : "&ndash;")
          .append("</td><td class=n>").append(fmt("%,.0f", r.imagesPerSecond()))
          .append("</td><td class=n>").append(fmt("%.1f", r.seconds()))
          .append("</td><td class=n>").append(Double.isNaN(r.lr()) ? "&ndash;" : fmt("%.4g", r.lr())).append("</td></tr>\n");
    }
    h.append("</table>\n<p>From <code>").append(ModelDir.METRICS).append("</code>; rebuild this page with ")
        .append("<code>cnn-spark report --model ").append(esc(modelDir)).append("</code>.</p>\n</body>\n</html>\n");
    return h.toString();
  }

  private static Map<String, String> finalFigures(List<RoundMetrics> rounds) {
    RoundMetrics last = rounds.get(rounds.size() - 1);
    Map<String, String> f = new LinkedHashMap<>();
    f.put("rounds", rounds.size() + " (" + last.epoch() + " epoch" + (last.epoch() == 1 ? "" : "s") + ", "
        + last.roundsPerEpoch() + " round" + (last.roundsPerEpoch() == 1 ? "" : "s") + " per epoch)");
    f.put("train loss (last round)", fmt("%.4f", last.loss()));
    f.put("train accuracy (last round)", percent(last.trainAccuracy()));
    RoundMetrics lastTested = null;
    RoundMetrics bestTested = null;
    for (RoundMetrics r : rounds) {
      if (r.tested()) {
        lastTested = r;
        bestTested = bestTested == null || r.testAccuracy() > bestTested.testAccuracy() ? r : bestTested;
      }
    }
    if (lastTested != null) {
      f.put("test loss (last scored)", fmt("%.4f", lastTested.testLoss()) + " " + at(lastTested));
      f.put("test accuracy (last scored)", percent(lastTested.testAccuracy()) + " " + at(lastTested));
      f.put("best test accuracy", percent(bestTested.testAccuracy()) + " " + at(bestTested));
    }
    double seconds = 0;
    long examples = 0;
    for (RoundMetrics r : rounds) {
      seconds += r.seconds();
      examples += r.examples();
    }
    f.put("training time", fmt("%.1f s", seconds) + " (rounds only, without scoring)");
    if (examples > 0 && seconds > 0) {
      f.put("throughput, whole run", fmt("%,.0f images/s", examples / seconds));
    }
    f.put("throughput, last round", fmt("%,.0f images/s", last.imagesPerSecond()));
    return f;
  }

  private static String at(RoundMetrics r) {
    return r.roundsPerEpoch() == 1 ? "(epoch " + r.epoch() + ")" : "(epoch " + r.epoch() + ", round " + r.round() + ")";
  }

  private static Map<String, String> settings(ModelFile model) {
    Map<String, String> p = new TreeMap<>(model.provenance());
    Map<String, String> s = new LinkedHashMap<>();
    s.put("architecture", model.spec().toString());
    s.put("input shape", model.inputShape().toString());
    Network net = model.network(new JavaGemm(), FILE);
    s.put("parameters", fmt("%,d", (long) net.trainableSize()));
    s.put("classes", model.classNames().isEmpty() ? net.numClasses() + " (unnamed)"
        : net.numClasses() + ": " + String.join(", ", model.classNames()));
    s.put("optimizer", model.optimizer().describe());
    // The provenance keys that describe the run, in reading order; the rest follow as they are.
    String[][] known = {{"epochs", "epochs"}, {"batch_size", "batch size"}, {"averaging", "averaging"},
        {"seed", "seed"}, {"shuffle", "shuffle"}, {"partitions", "workers (partitions)"},
        {"lr_schedule", "learning-rate schedule"}, {"lr_scale", "learning-rate scale (workers)"},
        {"threads_per_task", "engine threads per task"}, {"dataset", "training data"}, {"dataset_count", "training images"},
        {"test_dataset", "test data"}, {"test_count", "test images"}, {"init", "initial weights"},
        {"spark_version", "Spark"}, {"spark_master", "Spark master"}, {"kernels", "kernels (driver)"},
        {"executor_kernels", "kernels (executors)"}, {"cpu", "CPU (driver)"}, {"engine_version", "cnn-spark"}};
    for (String[] k : known) {
      String v = p.remove(k[0]);
      if (v != null) {
        s.put(k[1], v);
      }
    }
    p.remove("created");
    p.remove("rounds_per_epoch");
    p.remove("reset_optimizer_state");
    p.remove("test_accuracy");
    s.putAll(p);
    return s;
  }

  static byte[] lossChart(List<RoundMetrics> rounds) {
    XYSeries train = new XYSeries("train", false, true);
    XYSeries test = new XYSeries("test", false, true);
    for (RoundMetrics r : rounds) {
      train.add(x(r), r.loss());
      if (r.tested()) {
        test.add(x(r), r.testLoss());
      }
    }
    return png(chart(rounds, "loss", List.of(train, test), List.of(TRAIN_COLOR, TEST_COLOR)));
  }

  static byte[] accuracyChart(List<RoundMetrics> rounds) {
    XYSeries train = new XYSeries("train", false, true);
    XYSeries test = new XYSeries("test", false, true);
    for (RoundMetrics r : rounds) {
      train.add(x(r), 100 * r.trainAccuracy());
      if (r.tested()) {
        test.add(x(r), 100 * r.testAccuracy());
      }
    }
    return png(chart(rounds, "accuracy (%)", List.of(train, test), List.of(TRAIN_COLOR, TEST_COLOR)));
  }

  static byte[] throughputChart(List<RoundMetrics> rounds) {
    XYSeries s = new XYSeries("images/s", false, true);
    for (RoundMetrics r : rounds) {
      s.add(x(r), r.imagesPerSecond());
    }
    JFreeChart chart = chart(rounds, "images/s", List.of(s), List.of(THROUGHPUT_COLOR));
    // Throughput from zero: a 3% wobble should not look like a collapse.
    ((NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(true);
    return png(chart);
  }

  /** A line chart with a marker per round; empty series are left out. No legend: the page shows the colours. */
  private static JFreeChart chart(List<RoundMetrics> rounds, String yLabel, List<XYSeries> series, List<Color> colors) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < series.size(); i++) {
      if (series.get(i).getItemCount() == 0) {
        continue;
      }
      int k = data.getSeriesCount();
      data.addSeries(series.get(i));
      renderer.setSeriesPaint(k, colors.get(i));
      renderer.setSeriesStroke(k, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      renderer.setSeriesShape(k, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
    }
    JFreeChart chart = ChartFactory.createXYLineChart(null, "epoch", yLabel, data, PlotOrientation.VERTICAL,
        false, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    XYPlot plot = chart.getXYPlot();
    plot.setRenderer(renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setOutlinePaint(new Color(0xbbbbbb));
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    NumberAxis x = (NumberAxis) plot.getDomainAxis();
    if (rounds.get(rounds.size() - 1).roundsPerEpoch() == 1) {
      x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    return chart;
  }

  private static byte[] png(JFreeChart chart) {
    BufferedImage image = chart.createBufferedImage(CHART_WIDTH, CHART_HEIGHT, BufferedImage.TYPE_INT_RGB, null);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ChartUtils.writeBufferedImageAsPNG(out, image);
    } catch (IOException e) {
      throw new IllegalStateException("PNG encoding into memory failed", e);
    }
    return out.toByteArray();
  }

  private static void image(StringBuilder h, String alt, byte[] png) {
    h.append("<p><img width=\"").append(CHART_WIDTH).append("\" height=\"").append(CHART_HEIGHT).append("\" alt=\"")
        .append(esc(alt)).append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
        .append("\"></p>\n");
  }

  private static String keys(boolean tested) {
    return "<p><span class=key style=\"background:" + hex(TRAIN_COLOR) + "\"></span>train"
        + (tested ? "<span class=key style=\"background:" + hex(TEST_COLOR) + "\"></span>test" : " (no test set was scored)")
        + "</p>";
  }

  private static void table(StringBuilder h, Map<String, String> rows) {
    h.append("<table>\n");
    rows.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n"));
    h.append("</table>\n");
  }

  private static String hex(Color c) {
    return String.format("#%06x", c.getRGB() & 0xffffff);
  }

  private static String percent(double fraction) {
    return fmt("%.2f%%", 100 * fraction);
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  /** HTML text and attribute escaping. */
  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
