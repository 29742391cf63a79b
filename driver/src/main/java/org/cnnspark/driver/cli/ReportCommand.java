package org.cnnspark.driver.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.report.TrainingReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code report}: (re)writes MODEL_DIR/report.html from the directory's metrics and model. No Spark. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Write MODEL_DIR/" + TrainingReport.FILE + ": loss, accuracy and throughput per round as charts, the final "
        + "figures and the run's settings, in one self-contained HTML file (no network needed to view it).",
        "train writes it already; this rebuilds it (e.g. for a model trained before reports existed)."})
public final class ReportCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Option(names = "--model", required = true, paramLabel = "MODEL_DIR", description = "Model directory written by train.")
  String model;

  @Override
  public Integer call() throws IOException {
    ModelArgs args = ModelArgs.directoryOnly(model, "report");
    System.out.println(TrainingReport.write(args.modelDirectory(), new Configuration()));
    return 0;
  }
}
