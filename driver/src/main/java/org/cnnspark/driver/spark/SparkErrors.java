package org.cnnspark.driver.spark;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * Turns a task's bad-input exception (an IllegalArgumentException thrown on an executor, which
 * Spark wraps in a SparkException) back into one on the driver, so the CLI reports it as bad input
 * with the executor's message instead of a stack trace.
 */
public final class SparkErrors {
  private SparkErrors() {}

  public static <T> List<T> collect(JavaRDD<T> rdd) {
    try {
      return rdd.collect();
    } catch (Exception e) { // Scala throws the checked SparkException undeclared
      throw rethrow(e);
    }
  }

  /** Throws the unwrapped exception (see {@link #unwrap}); declared to return one so callers can write {@code throw}. */
  public static RuntimeException rethrow(Exception e) {
    throw SparkErrors.<RuntimeException>sneaky(unwrap(e));
  }

  /** The IllegalArgumentException a task threw (with its message), else e itself. */
  public static Exception unwrap(Exception e) {
    if (e instanceof IllegalArgumentException) {
      return e;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException iae) {
        return new IllegalArgumentException(iae.getMessage(), e);
      }
    }
    // When the exception's class did not travel, its text still does: "...IllegalArgumentException: message".
    String text = e.getMessage();
    for (String marker : new String[] {"IllegalArgumentException: ", "DataException: "}) {
      int at = text == null ? -1 : text.indexOf(marker);
      if (at >= 0) {
        String rest = text.substring(at + marker.length());
        int nl = rest.indexOf('\n');
        return new IllegalArgumentException(nl < 0 ? rest : rest.substring(0, nl), e);
      }
    }
    return e;
  }

  @SuppressWarnings("unchecked")
  private static <E extends Exception> E sneaky(Exception e) throws E {
    throw (E) e;
  }
}
