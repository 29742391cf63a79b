package org.cnnspark.examples;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.cli.Main;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;

/**
 * CIFAR-10 in its binary format (data_batch_1.bin ... data_batch_5.bin, test_batch.bin: per
 * record one label byte, then 1024 red, 1024 green and 1024 blue bytes of a 32x32 image), trained
 * through the CLI's entry point from Java, as an application embeds it: it uses the running
 * SparkSession when there is one (spark-submit, a notebook) and starts a local one otherwise.
 * Writes MODEL_DIR with model.cnn, metrics.jsonl and report.html.
 * Usage: Cifar10Training CIFAR_DIR [EPOCHS] [MODEL_DIR]   (CIFAR_DIR: the cifar-10-batches-bin folder)
 */
public final class Cifar10Training {
  private Cifar10Training() {}

  public static void main(String[] args) throws IOException {
    String dir = args.length > 0 ? args[0] : "cifar-10-batches-bin";
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String out = args.length > 2 ? args[2] : "cifar10-model";
    double accuracy = run(dir, "tutorial-cnn", epochs, 0.01, out);
    System.out.printf("test accuracy %.2f%%; model, metrics and report.html in %s%n", 100 * accuracy, out);
  }

  /** Trains on CIFAR_DIR's data_batch_*.bin, scores test_batch.bin after every epoch; returns the last test accuracy. */
  public static double run(String cifarDir, String arch, int epochs, double lr, String modelDir) throws IOException {
    int code = Main.run("train", "--data", cifarDir, "--format", "cifar", "--test", cifarDir + "/test_batch.bin",
        "--arch", arch, "--epochs", Integer.toString(epochs), "--batch-size", "32", "--lr", Double.toString(lr),
        "--out", modelDir);
    if (code != 0) {
      throw new IllegalStateException("cnn-spark train failed with exit code " + code + " (its message is above)");
    }
    List<String> metrics = ModelDir.readMetrics(modelDir, new Configuration());
    return RoundMetrics.fromJson(metrics.get(metrics.size() - 1)).testAccuracy();
  }
}
