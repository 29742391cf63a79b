package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cnnspark.driver.cli.JarTaskTest;
import org.cnnspark.driver.cli.Main;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as its own process (what bin/cnn-spark runs): the exit code System.exit gives, and the
 * cases an in-process test cannot reach because the CLI would use the test's SparkSession, such as
 * a bad --master. {@link #cli} also runs {@link LargeModelTest}.
 */
@Tag("compat")
class CliProcessTest {
  @TempDir
  Path dir;

  /** What a CLI process printed (stdout and stderr together) and returned. */
  record Result(int code, String output, double seconds) {}

  /** Runs Main in a new JVM with this JVM's classpath and module flags and the given heap. */
  static Result cli(Path log, String heap, int timeoutMinutes, String... args) throws IOException, InterruptedException {
    return cli(log, List.of("-Xmx" + heap), timeoutMinutes, args);
  }

  /** As {@link #cli(Path, String, int, String...)} with the given JVM options (-Xmx, -Dspark.* settings). */
  static Result cli(Path log, List<String> jvmOptions, int timeoutMinutes, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(LocalClusterTest.jvmFlags());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    long start = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("cnn-spark " + String.join(" ", args) + " did not end in " + timeoutMinutes
          + " minutes:\n" + tail(log));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8), (System.nanoTime() - start) / 1e9);
  }

  static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "(no output)";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  @Test
  void badMasterExitsTwoWithoutAStackTrace() throws IOException, InterruptedException {
    Path out = dir.resolve("never");
    String[] args = {"train", "--master", "lokal[2]", "--data", dir.resolve("x-images-idx3-ubyte").toString(), "--out",
        out.toString()};
    Result r = cli(dir.resolve("bad-master.log"), "512m", 2, args);
    assertEquals(2, r.code(), r.output());
    assertTrue(r.output().contains("error: --master lokal[2]: Spark cannot parse this master URL"), r.output());
    assertFalse(r.output().contains("\tat "), "no stack trace without --verbose:\n" + r.output());

    assertFalse(Files.exists(out));
  }

  /** The arguments of a train run on a folder with one image that declares 40000x40000 pixels, and its paragraph. */
  private String[] hugePngRun(String... extra) throws IOException {
    Path folder = JarTaskTest.folderWithOneHugePng(dir.resolve("images"));
    List<String> args = new ArrayList<>(List.of("train", "--master", "local[2]", "--data", folder.toString(),
        "--arch", "flatten dense(2)", "--epochs", "1", "--workers", "2", "--out", dir.resolve("never").toString()));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  private String hugePngParagraph() {
    return "error: image file " + dir.resolve("images").toUri().toString().replaceFirst("^file:///", "file:/")
        + "dog/zz-huge.png declares 40000x40000 pixels";
  }

  /**
   * A bad record found in a task: the console ends with the CLI's paragraph, without Spark's
   * logging of the task's exception (some 60 lines of traces) before it. Logged at Spark's default
   * INFO level, as under spark-submit, where the schedulers' lines about the aborted stage carry
   * the trace too.
   */
  @Test
  void aBadRecordInATaskPrintsTheParagraphAlone() throws IOException, InterruptedException {
    Path log = dir.resolve("quiet.log");
    Result r = cli(log, List.of("-Xmx512m", "-Dlog4j2.configurationFile=org/apache/spark/log4j2-defaults.properties"), 2,
        hugePngRun());
    assertEquals(2, r.code(), r.output());
    assertTrue(r.output().contains(hugePngParagraph()), r.output());
    assertTrue(r.output().contains(" INFO Executor: Starting executor"), "not logged at INFO:\n" + tail(log));
    assertFalse(r.output().contains("\tat ") || r.output().contains("ERROR Executor")
        || r.output().contains("TaskSetManager: Lost task") || r.output().contains("Driver stacktrace"),
        "Spark's task logging without --verbose:\n" + r.output());
    assertFalse(Files.exists(dir.resolve("never")));
  }

  /** With --verbose, Spark's executor logs the task's exception with its trace, above the paragraph. */
  @Test
  @Tag("slow")
  void withVerboseABadRecordInATaskKeepsSparksTrace() throws IOException, InterruptedException {
    Result r = cli(dir.resolve("verbose.log"), "512m", 2, hugePngRun("--verbose"));
    assertEquals(2, r.code(), r.output());
    assertTrue(r.output().contains(hugePngParagraph()), r.output());
    assertTrue(r.output().contains("ERROR Executor: Exception in task")
        && r.output().contains("\tat org.cnnspark.driver.data.ImageFolderSource.read"),
        "no task trace with --verbose:\n" + r.output());
  }
}
