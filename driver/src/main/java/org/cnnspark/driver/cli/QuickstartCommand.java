package org.cnnspark.driver.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.report.TrainingReport;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quickstart}: from nothing to a trained model. Finds Fashion-MNIST (a directory the user
 * names, else Debian's dataset-fashion-mnist package, else a cache filled from the dataset's public
 * address), trains the tutorial CNN with {@code train} on the embedded local Spark, and prints test
 * accuracy, throughput and where the model and its report are. {@code bin/quickstart} also builds
 * and tries the apt package first.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Train the tutorial CNN on Fashion-MNIST with the embedded local Spark (all cores) and print test accuracy, "
        + "throughput and where the model and report are.",
        "Data: --data-dir, else /usr/share/datasets/fashion-mnist (apt-get install -y dataset-fashion-mnist), else the cache "
            + "directory, downloaded there from the dataset's public address on first use."})
public final class QuickstartCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Directory holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
          + "t10k-labels-idx1-ubyte.gz.")
  Path dataDir;

  @Option(names = "--cache-dir", paramLabel = "DIR",
      description = "Where a download goes (default: $XDG_CACHE_HOME/cnn-spark/fashion-mnist, else ~/.cache/cnn-spark/fashion-mnist).")
  Path cacheDir;

  @Option(names = "--download-from", paramLabel = "URL", defaultValue = FashionMnistFiles.PUBLIC_URL,
      description = "Base address of the four files (default: ${DEFAULT-VALUE}).")
  String downloadFrom;

  @Option(names = "--no-download", description = "Never download; fail with what to do instead.")
  boolean noDownload;

  @Option(names = "--epochs", defaultValue = "3", description = "Passes over the 60,000 training images (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--out", defaultValue = "runs/quickstart", paramLabel = "MODEL_DIR",
      description = "Model directory to write (default: ${DEFAULT-VALUE}).")
  String out;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: embedded local[*]).")
  String master;

  @Override
  public Integer call() throws IOException {
    Path dir = dataDirectory();
    List<String> train = new ArrayList<>(List.of("train",
        "--data", dir.resolve(FashionMnistFiles.images("train")).toString(),
        "--test", dir.resolve(FashionMnistFiles.images("t10k")).toString(),
        "--arch", "tutorial-cnn", "--epochs", Integer.toString(epochs), "--out", out,
        "--resume")); // run again after an interruption, it continues from the last checkpoint
    if (master != null) {
      train.addAll(List.of("--master", master));
    }
    if (common.verbose) {
      train.add("--verbose");
    }
    System.err.printf("cnn-spark quickstart: the tutorial CNN on Fashion-MNIST from %s, %d epochs, on %s%n", dir, epochs,
        master == null ? "the embedded local Spark (all cores)" : master);
    int code = Main.run(train.toArray(String[]::new));
    if (code != 0) {
      return code;
    }
    printSummary();
    return 0;
  }

  private Path dataDirectory() throws IOException {
    if (dataDir != null) {
      if (!FashionMnistFiles.complete(dataDir)) {
        throw new IllegalArgumentException("--data-dir " + dataDir + " lacks " + FashionMnistFiles.missing(dataDir)
            + ": it must hold Fashion-MNIST's four IDX .gz files under their usual names");
      }
      return dataDir;
    }
    Path system = FashionMnistFiles.systemDir();
    if (FashionMnistFiles.complete(system)) {
      return system;
    }
    Path cache = cacheDir != null ? cacheDir : defaultCache();
    if (FashionMnistFiles.complete(cache)) {
      return cache;
    }
    if (noDownload) {
      throw new IllegalArgumentException("Fashion-MNIST is not in " + system + " nor in " + cache
          + " and --no-download is set. " + howToGetIt(cache));
    }
    String base = downloadFrom.endsWith("/") ? downloadFrom : downloadFrom + "/";
    try {
      FashionMnistFiles.download(URI.create(base), cache, System.err);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage() + ". " + howToGetIt(cache), e);
    }
    return cache;
  }

  private String howToGetIt(Path cache) {
    return "Get Fashion-MNIST one of three ways: (1) on Debian/Ubuntu, as root: apt-get install -y dataset-fashion-mnist "
        + "(puts it in " + FashionMnistFiles.SYSTEM_DIR + "); (2) put " + String.join(", ", FashionMnistFiles.names())
        + " in a directory and pass --data-dir DIR (bin/quickstart: FASHION_MNIST_DIR=DIR); (3) allow this machine to reach "
        + downloadFrom + " (a proxy: -Dhttp.proxyHost=HOST -Dhttp.proxyPort=PORT in CNN_SPARK_JAVA_OPTS), and the "
        + "quickstart downloads them into " + cache;
  }

  static Path defaultCache() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("cnn-spark").resolve("fashion-mnist");
  }

  private void printSummary() throws IOException {
    String metrics = out + "/" + ModelDir.METRICS;
    List<RoundMetrics> rounds = TrainingReport.parse(ModelDir.readMetrics(out, new Configuration()), metrics);
    RoundMetrics last = rounds.get(rounds.size() - 1);
    double seconds = 0;
    long examples = 0;
    for (RoundMetrics r : rounds) {
      seconds += r.seconds();
      examples += r.examples();
    }
    Path report = Path.of(out, TrainingReport.FILE).toAbsolutePath();
    System.out.printf("%ntest accuracy  %.2f%% after %d epoch%s (train loss %.4f)%n", 100 * last.testAccuracy(), last.epoch(),
        last.epoch() == 1 ? "" : "s", last.loss());
    System.out.printf("throughput     %,.0f training images/s (%,d images in %.0f s of rounds)%n",
        seconds > 0 ? examples / seconds : 0, examples, seconds);
    System.out.printf("model          %s   (bin/cnn-spark inspect --model %s)%n", out, out);
    System.out.printf("report         %s%n", Files.exists(report) ? report : "not written (see the warning above)");
  }
}
