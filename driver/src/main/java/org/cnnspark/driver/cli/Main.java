package org.cnnspark.driver.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code cnn-spark} command line. Each command is a class in this package; bad input
 * (IllegalArgumentException, or a bad option) prints one paragraph and exits 2, with the stack
 * trace only under {@code --verbose}.
 */
@Command(name = "cnn-spark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Train convolutional neural networks on Apache Spark.",
    subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class,
        InspectCommand.class, ReportCommand.class, BenchCommand.class, QuickstartCommand.class})
public final class Main implements Callable<Integer> {

  /** Exit code for bad input: options, files, records. */
  public static final int BAD_INPUT = 2;
  /** The driver or an executor ran out of memory (one paragraph says which and what to set). */
  public static final int OUT_OF_MEMORY = 3;

  /** Options every command takes. */
  public static final class Common {
    @Option(names = "--verbose", description = "Print stack traces and debug logging.")
    public boolean verbose;
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return BAD_INPUT;
  }

  public static void main(String[] args) {
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
    CommandLine cl = new CommandLine(new Main());
    // The streams of this moment (tests and embedding applications may have redirected them).
    cl.setOut(new PrintWriter(System.out, true));
    cl.setErr(new PrintWriter(System.err, true));
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      String memory = OutOfMemory.paragraph(ex);
      if (memory != null) {
        err.println("error: " + memory);
        if (verbose) {
          ex.printStackTrace(err);
        }
        return OUT_OF_MEMORY;
      }
      if (ex instanceof IllegalArgumentException || ex instanceof java.io.UncheckedIOException
          || ex instanceof java.io.IOException) {
        err.println("error: " + ex.getMessage());
        if (verbose) {
          ex.printStackTrace(err);
        } else {
          err.println("(run with --verbose for the stack trace)");
        }
        return BAD_INPUT;
      }
      err.println("error: " + ex);
      ex.printStackTrace(err);
      return 1;
    });
    try {
      return cl.execute(args);
    } catch (OutOfMemoryError e) { // on this thread: picocli hands its handler Exceptions only
      cl.getErr().println("error: " + OutOfMemory.paragraph(e));
      return OUT_OF_MEMORY;
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
