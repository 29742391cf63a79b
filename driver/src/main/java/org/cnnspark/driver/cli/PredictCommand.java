package org.cnnspark.driver.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.score.Scoring;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.kernels.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code predict}: class probabilities for every record, as CSV. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Predict classes of every record (distributed) and write a CSV file in record order, with the header "
        + "index,label,prediction,p0,...,p{K-1} (label is empty when the data has none; p = softmax probabilities).",
        "The file appears only when complete."})
public final class PredictCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Mixin
  ModelArgs modelArgs;

  @Mixin
  DataArgs dataArgs;

  @Mixin
  SparkArgs sparkArgs;

  @Option(names = "--out", required = true, paramLabel = "FILE.csv", description = "CSV file to write (any Hadoop path).")
  String out;

  @Override
  public Integer call() throws IOException {
    modelArgs.check();
    sparkArgs.check();
    try (SparkSessions.Started s = SparkSessions.start(sparkArgs.master, "cnn-spark predict", common.verbose)) {
      Configuration conf = s.jsc().hadoopConfiguration();
      if (HadoopFiles.isDirectory(out, conf)) {
        throw new IllegalArgumentException("--out " + out + " is a directory: give a file name such as predictions.csv");
      }
      ModelFile model = modelArgs.readModelDir(conf);
      LoadedData data = Datasets.load(s.spark(), dataArgs.options(dataArgs.data, dataArgs.labels, sparkArgs.workers(s),
              modelArgs.knownShape(model))
          .withLabelsOptional(true)
          .withClassNames(model == null || model.classNames().isEmpty() ? null : model.classNames()));
      try {
        if (model == null) {
          model = modelArgs.fromSafetensors(conf, data.shape());
        }
        int k = model.network(Kernels.gemm(), modelArgs.model).numClasses();
        EngineSpec engine = new EngineSpec(model.spec(), model.inputShape(), model.optimizer(), model.normalization(),
            s.taskCpus());
        long[] rows = {0};
        try (Scoring.Lines lines = Scoring.predictCsv(s.jsc(), data.blocks(), engine, model.params())) {
          HadoopFiles.write(out, conf, os -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8));
            StringBuilder header = new StringBuilder("index,label,prediction");
            for (int c = 0; c < k; c++) {
              header.append(",p").append(c);
            }
            w.write(header.append('\n').toString());
            for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
              w.write(it.next());
              w.write('\n');
              rows[0]++;
            }
            w.flush();
          });
        }
        System.err.printf("cnn-spark: wrote %,d predictions to %s%s%n", rows[0], out, data.skipped() == 0 ? ""
            : String.format(" (%,d bad records skipped; the index column counts the records kept)", data.skipped()));
        return 0;
      } finally {
        data.unpersist();
      }
    }
  }
}
