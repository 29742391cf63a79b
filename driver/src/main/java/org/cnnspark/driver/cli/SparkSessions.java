package org.cnnspark.driver.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext$;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.kryo.KryoSettings;
import org.cnnspark.driver.spark.SparkErrors;

/**
 * The CLI's SparkSession: embedded local[*] unless --master or spark-submit says otherwise. A
 * session or SparkContext that is already running (a test, a notebook, a Databricks JAR task, an
 * application calling Main) is used as it is and left running; one started here is stopped when
 * the command ends. Without --verbose, Spark's task-failure logging is held back while the command
 * runs ({@link TaskLogs}).
 */
final class SparkSessions {
  private SparkSessions() {}

  /** A session, whether this command started it, and the task logging held back while it runs. */
  record Started(SparkSession spark, boolean owned, TaskLogs taskLogs) implements AutoCloseable {
    JavaSparkContext jsc() {
      return JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    /** Engine threads per task: the cores Spark gives each task. */
    int taskCpus() {
      return spark.sparkContext().getConf().getInt("spark.task.cpus", 1);
    }

    @Override
    public void close() {
      try {
        if (owned) {
          spark.stop();
        }
      } finally {
        taskLogs.close();
      }
    }
  }

  /**
   * A SparkSession, or a SparkContext without one, that is running already: this JVM is not the
   * CLI's own. SparkContext.getActive is Spark's own record of a running context (private[spark] in
   * Scala, public in the bytecode; in Spark since 1.x, and the only way to see a context without a
   * session).
   */
  static boolean alreadyRunning() {
    return running().isDefined() || SparkContext$.MODULE$.getActive().isDefined();
  }

  /** The running session the CLI uses: the thread's, else the application's default one. */
  private static scala.Option<SparkSession> running() {
    scala.Option<SparkSession> active = SparkSession.getActiveSession();
    if (active.isEmpty()) {
      active = SparkSession.getDefaultSession();
    }
    return active.isDefined() && !active.get().sparkContext().isStopped() ? active : scala.Option.empty();
  }

  static Started start(String master, String appName, boolean verbose) {
    return start(master, appName, verbose, true);
  }

  /** As {@link #start(String, String, boolean)}; {@code needsKryo} false: a running session's serializer is not checked. */
  static Started start(String master, String appName, boolean verbose, boolean needsKryo) {
    Started s = open(master, appName, verbose, needsKryo);
    return verbose ? s : new Started(s.spark(), s.owned(), TaskLogs.quiet());
  }

  private static Started open(String master, String appName, boolean verbose, boolean needsKryo) {
    scala.Option<SparkSession> active = running();
    if (active.isDefined()) {
      if (needsKryo) {
        KryoSettings.check(active.get().sparkContext().getConf());
      }
      return new Started(active.get(), false, TaskLogs.NONE);
    }
    if (SparkContext$.MODULE$.getActive().isDefined()) {
      // A SparkContext without a session (an application that made its own): getOrCreate wraps it in a
      // session, and the context stays the application's.
      SparkSession spark = SparkSession.builder().getOrCreate();
      if (needsKryo) {
        KryoSettings.check(spark.sparkContext().getConf());
      }
      return new Started(spark, false, TaskLogs.NONE);
    }
    if (!verbose && System.getProperty("log4j2.configurationFile") == null) {
      // Before Spark's first log line: a configuration that is not log4j's default stops Spark from
      // installing its INFO-level one.
      System.setProperty("log4j2.configurationFile", "org/cnnspark/driver/cli/log4j2-cli.properties");
    }
    SparkConf conf = new SparkConf(); // spark-submit passes spark.master and the rest as system properties
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.app.name", appName)
        .setIfMissing("spark.ui.showConsoleProgress", "false")
        // Each round collects one parameter + optimizer-state vector per worker: a 50M-parameter model
        // with momentum and 3 workers is 1.2 GB, past Spark's 1 GB default. The driver must hold them
        // anyway (docs/operations.md, memory per round), so the limit would only stop big models, not
        // protect the driver.
        .setIfMissing("spark.driver.maxResultSize", "0");
    KryoSettings.apply(conf);
    if (conf.get("spark.master").startsWith("local")) {
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1").setIfMissing("spark.driver.host", "127.0.0.1");
      if (!conf.get("spark.master").startsWith("local-cluster")) {
        // Tasks share this JVM: an OutOfMemoryError in one must fail the job (the CLI then says what to
        // set), not end the JVM with exit code 52 and a stack trace from Spark's uncaught-error handler.
        conf.setIfMissing("spark.executor.killOnFatalError.depth", "0");
      }
    }
    KryoSettings.check(conf);
    try {
      return new Started(SparkSession.builder().config(conf).getOrCreate(), true, TaskLogs.NONE);
    } catch (Exception e) { // Scala throws the checked SparkException undeclared
      if (String.valueOf(e.getMessage()).contains("Could not parse Master URL")) {
        throw new IllegalArgumentException("--master " + conf.get("spark.master") + ": Spark cannot parse this master URL;"
            + " use local[N], local[*], spark://HOST:PORT, yarn or k8s://https://HOST:PORT", e);
      }
      throw SparkErrors.rethrow(e);
    }
  }
}
