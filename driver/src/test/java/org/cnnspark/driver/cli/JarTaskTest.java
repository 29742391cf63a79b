package org.cnnspark.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.GrayPng;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.engine.kernels.Kernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as a Databricks JAR task runs it: {@code Main.main} called in a JVM whose SparkContext is
 * running already. It must return when the command succeeds and throw the CLI's paragraph when it
 * fails, never exit the JVM (a System.exit here would end the test run: surefire reports a fork that
 * ended early) nor stop the context, and put back the logging it held back. Also the {@code check}
 * command's report, which a JAR task can run the same way.
 */
public class JarTaskTest {
  @TempDir
  static Path dir;
  static SparkSession spark;
  static Path data;

  @BeforeAll
  static void start() throws IOException {
    spark = LocalSpark.start(2, "cnn-spark JAR task tests");
    data = BadInputCliTest.writeIdx(dir.resolve("data"), "d", 40, 28, 28, i -> i % 10, false);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static String[] train(Path data, Path out, String... extra) {
    return trainArch("flatten dense(10)", data, out, extra);
  }

  static String[] trainArch(String arch, Path data, Path out, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("train", "--data", data.toString(), "--arch", arch,
        "--epochs", "1", "--workers", "2", "--out", out.toString()));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  /** The session the test started still runs jobs. */
  static void assertContextRuns() {
    assertFalse(spark.sparkContext().isStopped(), "the CLI stopped a SparkContext it did not start");
    assertEquals(10, spark.range(10).count());
  }

  @Test
  void aSucceedingTrainReturnsAndLeavesTheContextRunning() {
    Path out = dir.resolve("model");
    Main.main(train(data, out));
    assertTrue(Files.exists(out.resolve(ModelDir.MODEL)), "no model written");
    assertContextRuns();
  }

  @Test
  void aFailingCommandThrowsItsParagraphAndLeavesTheContextRunning() {
    Path out = dir.resolve("never");
    CliException option = assertThrows(CliException.class, () -> Main.main(train(data, out, "--epochs", "x")));
    assertTrue(option.getMessage().contains("--epochs") && option.getMessage().contains("'x'"), option.getMessage());
    assertEquals(Main.BAD_INPUT, option.exitCode());

    Path missing = dir.resolve("nowhere-images-idx3-ubyte");
    CliException file = assertThrows(CliException.class, () -> Main.main(train(missing, out)));
    assertTrue(file.getMessage().contains(missing.toString()) && file.getMessage().contains("does not exist"),
        file.getMessage());
    assertEquals(Main.BAD_INPUT, file.exitCode());
    assertFalse(Files.exists(out));
    assertContextRuns();
  }

  @Test
  void aBadRecordInATaskThrowsItsParagraphAndPutsTheTaskLoggersBack() throws IOException {
    List<Level> before = TaskLogs.QUIET.keySet().stream().map(n -> LogManager.getLogger(n).getLevel()).toList();
    Path folder = folderWithOneHugePng(dir.resolve("huge"));
    CliException e = assertThrows(CliException.class,
        () -> Main.main(trainArch("flatten dense(2)", folder, dir.resolve("never-huge"))));
    assertTrue(e.getMessage().contains("zz-huge.png declares 40000x40000 pixels"), e.getMessage());
    assertEquals(before, TaskLogs.QUIET.keySet().stream().map(n -> LogManager.getLogger(n).getLevel()).toList(),
        "the task loggers' levels after the run");
    assertContextRuns();
  }

  @Test
  void aContextWithoutASessionIsLeftRunning() {
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    try {
      Path out = dir.resolve("model-no-session");
      Main.main(train(data, out));
      assertTrue(Files.exists(out.resolve(ModelDir.MODEL)), "no model written");
      assertContextRuns();
    } finally {
      SparkSession.setDefaultSession(spark);
    }
  }

  @Test
  void checkReportsTheDriverAndEachExecutorJvm() {
    CliTest.Run r = CliTest.run("check", "--workers", "2");
    assertEquals(0, r.code(), r.err());
    String jvm = "Spark " + spark.version() + ", JDK " + Runtime.version() + " (" + System.getProperty("java.vm.vendor")
        + "), Vector API module " + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "present" : "absent")
        + ", serializer: Kryo with cnn-spark's registrator; " + Kernels.description();
    long pid = ProcessHandle.current().pid();
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.out());
    assertTrue(lines.get(0).startsWith("driver on ") && lines.get(0).endsWith(" (pid " + pid + "): " + jvm), r.out());
    // local mode: the tasks run in this JVM, as executor "driver"
    assertTrue(lines.get(1).startsWith("executor driver on ") && lines.get(1).contains(" (pid " + pid + "), partitions 0 (weights ")
        && lines.get(1).contains("), 1 (weights ") && lines.get(1).endsWith("): " + jvm), r.out());
    assertEquals("2 partitions ran in 1 JVM(s) of the 1 executor(s) registered", lines.get(2));
    assertContextRuns();
  }

  /**
   * An image folder (cat/, dog/) of six 28x28 gray PNGs and dog/zz-huge.png, whose header declares
   * 40000x40000 pixels: a bad record that only the task decoding it finds. Returns the folder.
   */
  public static Path folderWithOneHugePng(Path folder) throws IOException {
    for (int i = 0; i < 6; i++) {
      BadInputCliTest.writePng(folder.resolve(i % 2 == 0 ? "cat" : "dog").resolve("img" + i + ".png"), 28, 28, i);
    }
    Files.write(folder.resolve("dog/zz-huge.png"), GrayPng.of(40000, 40000, new byte[64]));
    return folder;
  }
}
