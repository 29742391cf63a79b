package org.cnnspark.driver.cli;

/**
 * A command that failed, as {@link Main#execute} reports it to a caller that owns the JVM (a
 * Databricks JAR task, an application): the message is the paragraph the CLI printed after
 * "error: ", the exit code what {@code main} would have exited with. A command may also throw one
 * itself to end with a paragraph and a code of its own.
 */
public final class CliException extends RuntimeException {
  private final int exitCode;

  public CliException(String paragraph, int exitCode, Throwable cause) {
    super(paragraph, cause);
    this.exitCode = exitCode;
  }

  /** What {@code main} exits with for this failure: {@link Main#BAD_INPUT}, {@link Main#OUT_OF_MEMORY} or 1. */
  public int exitCode() {
    return exitCode;
  }
}
