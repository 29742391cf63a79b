package org.cnnspark.driver.cli;

import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.cnnspark.driver.deploy.ClusterCheck;
import org.cnnspark.driver.deploy.ClusterCheck.Jvm;
import org.cnnspark.driver.deploy.ClusterCheck.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code check}: a dry run on a new cluster that reports what cnn-spark finds in the driver and every executor JVM. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Check a cluster before a long job: one small task per core trains the tutorial CNN for a few steps "
        + "on synthetic images; prints, for the driver and each executor JVM, the Spark and JDK versions, whether the "
        + "Vector API module is there, the serializer, and the engine's kernels (oneDNN or OpenBLAS, or pure Java).",
        "Fails (exit 1) when a JVM runs the pure-Java kernels."})
public final class CheckCommand implements Callable<Integer> {
  static final long SEED = 42;

  @Mixin
  Main.Common common;

  @Mixin
  SparkArgs sparkArgs;

  @Override
  public Integer call() throws UnknownHostException {
    sparkArgs.check();
    // The tasks return text, so the check runs under any serializer and reports it.
    try (SparkSessions.Started s = SparkSessions.start(sparkArgs.master, "cnn-spark check", common.verbose, false)) {
      int partitions = sparkArgs.workers(s);
      Jvm driver = Jvm.here();
      List<Report> reports = ClusterCheck.run(s.jsc(), partitions, SEED);
      Map<String, List<Report>> byJvm = new LinkedHashMap<>();
      for (Report r : reports) {
        byJvm.computeIfAbsent(r.jvm().host() + ":" + r.jvm().pid(), k -> new ArrayList<>()).add(r);
      }
      System.out.printf("driver on %s (pid %d): %s%n", driver.host(), driver.pid(), driver.describe());
      List<String> fallback = new ArrayList<>();
      for (List<Report> ran : byJvm.values()) {
        Jvm jvm = ran.get(0).jvm();
        System.out.printf("executor %s on %s (pid %d), partitions %s: %s%n", jvm.executorId(), jvm.host(), jvm.pid(),
            ran.stream().map(r -> r.partition() + " (weights " + r.weightsSha256().substring(0, 12) + ")")
                .collect(Collectors.joining(", ")), jvm.describe());
        if (jvm.javaKernels()) {
          fallback.add("executor " + jvm.executorId() + " on " + jvm.host());
        }
      }
      // In local mode the driver runs the tasks; on a cluster the driver is among the known executors.
      int executors = s.spark().sparkContext().isLocal() ? 1
          : s.spark().sparkContext().statusTracker().getExecutorInfos().length - 1;
      System.out.printf("%d partitions ran in %d JVM(s) of the %d executor(s) registered%s%n", reports.size(),
          byJvm.size(), executors, byJvm.size() < executors ? " (give --workers the total executor cores to reach all)" : "");
      if (!fallback.isEmpty()) {
        throw new CliException(String.join(", ", fallback) + " run the pure-Java kernels, several times slower than "
            + "OpenBLAS (the reason is on their line): check that the jar holds the natives for the executors' platform "
            + "(linux-x86_64, linux-arm64) and that -Dorg.bytedeco.javacpp.cachedir names a writable directory", 1, null);
      }
      return 0;
    }
  }
}
