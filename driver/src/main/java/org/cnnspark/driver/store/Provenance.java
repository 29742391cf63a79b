package org.cnnspark.driver.store;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.cnnspark.driver.train.DistributedTrainer;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;

/** What a trained model records about how it was made (the CLI and the Estimator add their own entries). */
public final class Provenance {
  private Provenance() {}

  public static Map<String, String> training(SparkContext sc, Gemm driverGemm, DistributedTrainer trainer, int partitions,
      String dataset, long count) {
    TrainConfig cfg = trainer.config();
    Map<String, String> prov = new TreeMap<>(ModelFile.basicProvenance(driverGemm));
    prov.put("kernels_detail", Kernels.description());
    prov.put("executor_kernels", String.join(",", trainer.executorKernels()));
    prov.put("seed", Long.toString(cfg.seed()));
    prov.put("partitions", Integer.toString(partitions));
    prov.put("threads_per_task", Integer.toString(trainer.engine().threads()));
    prov.put("averaging", cfg.averagingMode());
    prov.put("rounds_per_epoch", Integer.toString(cfg.roundsPerEpoch()));
    prov.put("reset_optimizer_state", Boolean.toString(cfg.resetOptimizerState()));
    prov.put("epochs", Integer.toString(cfg.epochs()));
    prov.put("batch_size", Integer.toString(cfg.batchSize()));
    prov.put("shuffle", Boolean.toString(cfg.shuffle()));
    prov.put("spark_version", sc.version());
    prov.put("spark_master", sc.master());
    prov.put("dataset", dataset);
    prov.put("dataset_count", Long.toString(count));
    prov.put("created", Instant.now().toString());
    return prov;
  }
}
