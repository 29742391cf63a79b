package org.cnnspark.driver.train;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;

/** What a trained model records about how it was made: machine, kernels, Spark, settings and data. */
final class Provenance {
  private Provenance() {}

  /**
   * @param last the latest round (its test accuracy is recorded), or null before the first
   * @param notes the entry point's own entries, added last
   */
  static Map<String, String> of(SparkContext sc, Gemm driverGemm, DistributedTrainer trainer, TrainingRun.RunData data,
      RoundMetrics last, Map<String, String> notes) {
    TrainConfig cfg = trainer.config();
    Map<String, String> prov = new TreeMap<>(ModelFile.basicProvenance(driverGemm));
    prov.put("kernels_detail", Kernels.description());
    prov.put("executor_kernels", String.join(",", trainer.executorKernels()));
    prov.put("seed", Long.toString(cfg.seed()));
    prov.put("partitions", Integer.toString(data.train().partitions()));
    prov.put("threads_per_task", Integer.toString(trainer.engine().threads()));
    prov.put("averaging", cfg.averagingMode());
    prov.put("rounds_per_epoch", cfg.roundsText());
    prov.put("outer", cfg.outer().describe());
    prov.put("outer_settings", cfg.outer().settings(data.train().partitions()).describe());
    prov.put("reset_optimizer_state", Boolean.toString(cfg.resetOptimizerState()));
    prov.put("epochs", Integer.toString(cfg.epochs()));
    prov.put("batch_size", Integer.toString(cfg.batchSize()));
    prov.put("shuffle", Boolean.toString(cfg.shuffle()));
    if (cfg.shuffleBuffer() > 0) {
      prov.put("shuffle_buffer", Integer.toString(cfg.shuffleBuffer()));
      prov.put("chunks", data.train().chunks() == null ? "none" : data.train().chunks().partitions() + " of "
          + data.train().chunks().records() + " records");
    }
    prov.put("lr_schedule", cfg.learningRate().describe(cfg.epochs()));
    prov.put("lr_scale", Double.toString(cfg.learningRate().scale(data.train().partitions())));
    prov.put("spark_version", sc.version());
    prov.put("spark_master", sc.master());
    prov.put("dataset", data.trainName());
    prov.put("dataset_count", Long.toString(data.train().count()));
    prov.put("dataset_split", data.train().split().value());
    if (data.train().skipped() > 0) {
      prov.put("dataset_skipped", Long.toString(data.train().skipped()));
    }
    if (data.test() != null) {
      prov.put("test_dataset", data.testName());
      prov.put("test_count", Long.toString(data.test().count()));
      if (last != null && last.tested()) {
        prov.put("test_accuracy", Double.toString(last.testAccuracy()));
      }
    }
    prov.put("created", Instant.now().toString());
    prov.putAll(notes);
    return prov;
  }
}
