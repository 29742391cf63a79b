package org.cnnspark.driver.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;

/**
 * Spark's logging of failed tasks, held back while a command runs without --verbose. A bad record
 * found in a task fails the job, and the CLI ends with one paragraph about it; before that, Spark's
 * executor logs the task's exception (ERROR, with its stack trace, in local mode where the tasks run
 * in this JVM) and the task-set manager logs it again (a WARN carrying the trace, then an ERROR
 * saying the job is aborted): some 60 lines above the paragraph. At INFO (Spark's default under
 * spark-submit) the task scheduler and the DAG scheduler repeat the trace in their lines about the
 * aborted stage. For the command, the first two loggers are turned off and the schedulers kept to
 * warnings (never made more verbose than they were), and all four are put back as they were when it
 * ends, so a JVM that calls the CLI (a test, a Databricks JAR task) keeps its own logging
 * afterwards. Needs log4j 2's core, which Spark uses; with another logging backend it does nothing.
 */
final class TaskLogs implements AutoCloseable {
  /** Nothing held back (--verbose). */
  static final TaskLogs NONE = new TaskLogs(false);

  /** Each logger and the level it is held at, at most. */
  static final Map<String, Level> QUIET = Map.of(
      "org.apache.spark.executor.Executor", Level.OFF,
      "org.apache.spark.scheduler.TaskSetManager", Level.OFF,
      "org.apache.spark.scheduler.TaskSchedulerImpl", Level.WARN,
      "org.apache.spark.scheduler.DAGScheduler", Level.WARN);

  // One hold for the JVM, however many commands run at once (an application may call Main from
  // several threads): the first command takes it, the last one to end puts the levels back.
  private static int holders;
  private static LoggerContext context;
  private static Configuration config;
  /** Each logger's own level before, or null where it had no configuration of its own (it followed its parent). */
  private static Map<String, Level> before;

  private final boolean holds;
  private boolean closed;

  private TaskLogs(boolean holds) {
    this.holds = holds;
  }

  /** Holds the loggers at their {@link #QUIET} levels until every handle returned is closed. */
  static synchronized TaskLogs quiet() {
    if (holders++ == 0) {
      hold();
    }
    return new TaskLogs(true);
  }

  private static void hold() {
    context = LogManager.getContext(false) instanceof LoggerContext c ? c : null;
    if (context == null) {
      return;
    }
    config = context.getConfiguration();
    before = new LinkedHashMap<>();
    QUIET.forEach((name, quiet) -> {
      LoggerConfig own = config.getLoggerConfig(name); // the logger's own configuration, else its nearest parent's
      Level level = own.getLevel().isMoreSpecificThan(quiet) ? own.getLevel() : quiet;
      if (own.getName().equals(name)) {
        before.put(name, own.getLevel());
        own.setLevel(level);
      } else {
        before.put(name, null);
        config.addLogger(name, new LoggerConfig(name, level, true));
      }
    });
    context.updateLoggers();
  }

  @Override
  public void close() {
    synchronized (TaskLogs.class) {
      if (!holds || closed) {
        return;
      }
      closed = true;
      if (--holders == 0 && context != null && context.getConfiguration() == config) {
        // (a reloaded configuration has nothing of ours to undo)
        before.forEach((name, level) -> {
          if (level == null) {
            config.removeLogger(name);
          } else {
            config.getLoggerConfig(name).setLevel(level);
          }
        });
        context.updateLoggers();
      }
    }
  }
}
