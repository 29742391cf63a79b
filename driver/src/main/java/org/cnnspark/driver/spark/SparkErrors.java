package org.cnnspark.driver.spark;

import java.util.List;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaRDD;

/**
 * Turns a task's bad-input exception (an IllegalArgumentException thrown on an executor, which
 * Spark wraps in a SparkException) back into one on the driver, so the CLI reports it as bad input
 * with the executor's message instead of a stack trace.
 */
public final class SparkErrors {
  /** "pkg.SomeException: " in a wrapper's text, where the class itself did not travel. */
  private static final Pattern NAMED = Pattern.compile("([\\w$.]+Exception): ");

  private SparkErrors() {}

  /** Runs a collect; a task's bad input comes back as an IllegalArgumentException (see {@link #unwrap}). */
  public static <T> List<T> collect(JavaRDD<T> rdd) {
    try {
      return rdd.collect();
    } catch (Exception e) { // Scala throws the checked SparkException undeclared
      throw rethrow(e);
    }
  }

  /** Throws the unwrapped exception (see {@link #unwrap}); declared to return one so callers can write {@code throw}. */
  public static RuntimeException rethrow(Exception e) {
    throw rethrow(e, IllegalArgumentException.class, IllegalArgumentException::new);
  }

  /** As {@link #rethrow(Exception)}, for a given bad-input type. */
  public static <X extends IllegalArgumentException> RuntimeException rethrow(Exception e, Class<X> type,
      BiFunction<String, Exception, X> rebuild) {
    throw SparkErrors.<RuntimeException>sneaky(unwrap(e, type, rebuild));
  }

  /**
   * The {@code type} (or subclass) exception a task threw, rebuilt on the driver by {@code rebuild}
   * from its message with {@code e} as the cause; else e itself. Found among e's causes or, when
   * the exception's class did not travel, in e's text ("...pkg.SomeException: message").
   */
  public static <X extends IllegalArgumentException> Exception unwrap(Exception e, Class<X> type,
      BiFunction<String, Exception, X> rebuild) {
    if (type.isInstance(e)) {
      return e;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return rebuild.apply(t.getMessage(), e);
      }
    }
    String text = e.getMessage();
    Matcher m = NAMED.matcher(text == null ? "" : text);
    while (m.find()) {
      if (isA(m.group(1), type)) {
        String rest = text.substring(m.end());
        int nl = rest.indexOf('\n');
        return rebuild.apply(nl < 0 ? rest : rest.substring(0, nl), e);
      }
    }
    return e;
  }

  private static boolean isA(String className, Class<?> type) {
    try {
      return type.isAssignableFrom(Class.forName(className, false, SparkErrors.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Exception> E sneaky(Exception e) throws E {
    throw (E) e;
  }
}
