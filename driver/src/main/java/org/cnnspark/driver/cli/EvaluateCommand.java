package org.cnnspark.driver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.data.LoadedData;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.EngineSpec;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.engine.io.ModelFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code evaluate}: loss and accuracy of a model on labelled data, scored on Spark. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Score a model on labelled data (distributed). Prints one JSON object to stdout: "
        + "{\"accuracy\": .., \"loss\": .., \"n\": ..} (loss: mean cross-entropy)."})
public final class EvaluateCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Mixin
  ModelArgs modelArgs;

  @Mixin
  DataArgs dataArgs;

  @Mixin
  SparkArgs sparkArgs;

  @Override
  public Integer call() throws IOException {
    modelArgs.check();
    sparkArgs.check();
    try (SparkSessions.Started s = SparkSessions.start(sparkArgs.master, "cnn-spark evaluate", common.verbose)) {
      Configuration conf = s.jsc().hadoopConfiguration();
      ModelFile model = modelArgs.readModelDir(conf);
      DataOptions options = dataArgs.options(dataArgs.data, dataArgs.labels, sparkArgs.workers(s),
          modelArgs.knownShape(model)).withClassNames(model == null || model.classNames().isEmpty() ? null : model.classNames());
      LoadedData data = Datasets.load(s.spark(), options);
      try {
        if (model == null) {
          model = modelArgs.fromSafetensors(conf, data.shape());
        }
        EngineSpec engine = new EngineSpec(model.spec(), model.inputShape(), model.optimizer(), model.normalization(),
            s.taskCpus());
        int k = model.network(org.cnnspark.engine.kernels.Kernels.gemm(), modelArgs.model).numClasses();
        if (dataArgs.skipBadRecords && data.classNames().isEmpty() && data.numClasses() > k) {
          data.unpersist(); // labels past the model's outputs are bad records: skipped and counted, as in train
          data = Datasets.load(s.spark(), options.withNumClasses(k));
        }
        DistributedTrainer.checkClasses(data, k, dataArgs.data);
        DistributedTrainer.Evaluation e = new DistributedTrainer(s.jsc(), engine,
            TrainConfig.defaults()).evaluate(data.blocks(), model.params());
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("accuracy", e.accuracy());
        o.put("loss", e.loss());
        o.put("n", e.count());
        o.put("skipped", data.skipped()); // bad records left out by --skip-bad-records
        System.out.println(o);
        return 0;
      } finally {
        data.unpersist();
      }
    }
  }
}
