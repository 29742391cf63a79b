package org.cnnspark.driver.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.cnnspark.driver.report.TrainingReport;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.kernels.JavaGemm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code inspect}: what a model directory holds. No Spark. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Print a model's layers (output shapes, parameter counts), provenance, optimizer, classes and training metrics.")
public final class InspectCommand implements Callable<Integer> {

  @Mixin
  Main.Common common;

  @Option(names = "--model", required = true, paramLabel = "MODEL_DIR", description = "Model directory written by train.")
  String model;

  @Override
  public Integer call() throws IOException {
    Configuration conf = new Configuration();
    ModelArgs args = ModelArgs.directoryOnly(model, "inspect");
    ModelFile m = args.readModelDir(conf);
    Network net = m.network(new JavaGemm(), model);
    System.out.println("model: " + model);
    System.out.println("architecture: " + m.spec());
    System.out.println("input shape: " + m.inputShape());
    System.out.print(net.summary());
    if (m.normalization().mean() != null) {
      System.out.println("normalisation: mean " + java.util.Arrays.toString(m.normalization().mean()) + ", std "
          + java.util.Arrays.toString(m.normalization().std()));
    } else {
      System.out.println("normalisation: pixels / 255");
    }
    System.out.println("classes: " + (m.classNames().isEmpty() ? net.numClasses() + " (unnamed)" : m.classNames()));
    System.out.println("optimizer: " + m.optimizer().describe()
        + ", " + m.optimizerSteps() + " steps" + (m.optimizerState().length == 0 ? "" : ", state saved"));
    System.out.println("provenance:");
    for (Map.Entry<String, String> e : new TreeMap<>(m.provenance()).entrySet()) {
      System.out.printf("  %-22s %s%n", e.getKey(), e.getValue());
    }
    List<String> metrics = ModelDir.readMetrics(args.modelDirectory(), conf);
    System.out.println("metrics (" + metrics.size() + " rounds, " + ModelDir.METRICS + "):");
    if (!metrics.isEmpty()) {
      System.out.printf("  %5s %5s %9s %9s %9s %9s %10s %8s%n", "epoch", "round", "loss", "train_acc", "test_loss",
          "test_acc", "img/s", "seconds");
    }
    for (RoundMetrics r : TrainingReport.parse(metrics, new Path(args.modelDirectory(), ModelDir.METRICS).toString())) {
      System.out.printf("  %5d %5d %9.4f %8.2f%% %9s %9s %10.0f %8.1f%n", r.epoch(), r.round(), r.loss(),
          100 * r.trainAccuracy(), r.tested() ? String.format("%.4f", r.testLoss()) : "-",
          r.tested() ? String.format("%.2f%%", 100 * r.testAccuracy()) : "-", r.imagesPerSecond(), r.seconds());
    }
    String report = new Path(args.modelDirectory(), TrainingReport.FILE).toString();
    System.out.println("report: " + (HadoopFiles.exists(report, conf) ? report
        : "none (write it with: cnn-spark report --model " + args.modelDirectory() + ")"));
    return 0;
  }
}
