package org.cnnspark.driver.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code cnn-spark} command line. Each command is a class in this package; bad input
 * (IllegalArgumentException, or a bad option) prints one paragraph and exits 2, with the stack
 * trace only under {@code --verbose}. {@link #main} is the only place that exits the JVM, and only
 * when no SparkContext ran before it.
 */
@Command(name = "cnn-spark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Train convolutional neural networks on Apache Spark.",
    subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class,
        InspectCommand.class, ReportCommand.class, BenchCommand.class, QuickstartCommand.class, CheckCommand.class})
public final class Main implements Callable<Integer> {

  /** Exit code for bad input: options, files, records. */
  public static final int BAD_INPUT = 2;
  /** The driver or an executor ran out of memory (one paragraph says which and what to set). */
  public static final int OUT_OF_MEMORY = 3;

  /** Options every command takes. */
  public static final class Common {
    @Option(names = "--verbose", description = "Print stack traces, and Spark's own logging (INFO unless a log4j2 "
        + "configuration is given) with the traces of failed tasks.")
    public boolean verbose;
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    throw new CliException("no command given: name one, e.g. cnn-spark train --help", BAD_INPUT, null);
  }

  /**
   * The {@code cnn-spark} command. Started in a JVM of its own (bin/cnn-spark, spark-submit) it ends
   * that JVM with the command's exit code. Called where a SparkContext is already running (a
   * Databricks JAR task, an application calling main), the JVM and the context are the caller's:
   * it returns when the command succeeded and throws {@link CliException} when it failed (a JAR
   * task is then marked failed), as {@link #execute} does.
   */
  public static void main(String[] args) {
    if (SparkSessions.alreadyRunning()) {
      execute(args);
      return;
    }
    if (!java.util.Arrays.asList(args).contains("--verbose")) {
      // Spark's helper threads interrupted while a failed run stops (a task-result getter, say) would
      // print their traces below the CLI's own paragraph; one line each says enough.
      Thread.setDefaultUncaughtExceptionHandler((t, e) -> System.err.println("cnn-spark: thread " + t.getName()
          + " ended with " + e));
    }
    System.exit(run(args));
  }

  /** Runs the CLI and returns the exit code (tests call this instead of main). */
  public static int run(String... args) {
    return outcome(args).code();
  }

  /**
   * Runs the CLI and returns when the command succeeded; otherwise throws {@link CliException}
   * whose message is the paragraph printed after "error: ". Never exits the JVM, and leaves a
   * SparkSession that was running before as it was.
   */
  public static void execute(String... args) {
    Outcome o = outcome(args);
    if (o.code() != 0) {
      throw new CliException(o.paragraph() != null ? o.paragraph()
          : "cnn-spark " + String.join(" ", args) + " ended with exit code " + o.code(), o.code(), o.cause());
    }
  }

  /** A run's exit code and, when it failed, the paragraph printed and the exception behind it. */
  private record Outcome(int code, String paragraph, Throwable cause) {}

  private static Outcome outcome(String... args) {
    CommandLine cl = new CommandLine(new Main());
    // The streams of this moment (tests and embedding applications may have redirected them).
    cl.setOut(new PrintWriter(System.out, true));
    cl.setErr(new PrintWriter(System.err, true));
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    Throwable[] failure = new Throwable[1];
    String[] paragraph = new String[1];
    CommandLine.IParameterExceptionHandler usage = cl.getParameterExceptionHandler();
    cl.setParameterExceptionHandler((ex, parsed) -> {
      failure[0] = ex;
      paragraph[0] = ex.getMessage();
      return usage.handleParseException(ex, parsed);
    });
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      failure[0] = ex;
      String memory = OutOfMemory.paragraph(ex);
      if (memory != null) {
        paragraph[0] = memory;
        err.println("error: " + memory);
        if (verbose) {
          ex.printStackTrace(err);
        }
        return OUT_OF_MEMORY;
      }
      if (ex instanceof CliException || ex instanceof IllegalArgumentException
          || ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
        paragraph[0] = ex.getMessage();
        err.println("error: " + ex.getMessage());
        if (verbose) {
          ex.printStackTrace(err);
        } else if (!(ex instanceof CliException)) {
          err.println("(run with --verbose for the stack trace)");
        }
        return ex instanceof CliException c ? c.exitCode() : BAD_INPUT;
      }
      paragraph[0] = ex.toString();
      err.println("error: " + ex);
      ex.printStackTrace(err);
      return 1;
    });
    try {
      int code = cl.execute(args);
      return new Outcome(code, paragraph[0], failure[0]);
    } catch (OutOfMemoryError e) { // on this thread: picocli hands its handler Exceptions only
      String memory = OutOfMemory.paragraph(e);
      cl.getErr().println("error: " + memory);
      return new Outcome(OUT_OF_MEMORY, memory, e);
    }
  }

  /** Version from the jar manifest (or "dev" when run from classes). */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cnn-spark " + (v == null ? "dev" : v)};
    }
  }
}
