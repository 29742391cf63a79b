package org.cnnspark.driver.ml;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * Spark ML's metadata file of a saved stage (class, uid, Params), written and read through
 * Spark's own DefaultParamsWriter / DefaultParamsReader, so saved models look like Spark's. Spark
 * 4 takes a SparkSession where Spark 3.5 takes a SparkContext; the one jar calls whichever the
 * running Spark has, found once by reflection (their other arguments are Scala defaults).
 */
final class ParamsMetadata {
  private static final Method SAVE = find(DefaultParamsWriter$.class, "saveMetadata", 5);
  private static final Method LOAD = find(DefaultParamsReader$.class, "loadMetadata", 3);

  private ParamsMetadata() {}

  /** Writes path/metadata for {@code stage}. */
  static void save(Params stage, String path, SparkSession spark) {
    invoke(SAVE, DefaultParamsWriter$.MODULE$, stage, path, session(SAVE, spark), Option.empty(), Option.empty());
  }

  /** Reads path/metadata, checking it names {@code className}. */
  static DefaultParamsReader.Metadata load(String path, SparkSession spark, String className) {
    return (DefaultParamsReader.Metadata) invoke(LOAD, DefaultParamsReader$.MODULE$, path, session(LOAD, spark),
        className);
  }

  /** The SparkSession, or its SparkContext where the method takes one (Spark 3.5). */
  private static Object session(Method m, SparkSession spark) {
    return SparkContext.class.isAssignableFrom(m.getParameterTypes()[m.getParameterCount() == 5 ? 2 : 1])
        ? spark.sparkContext() : spark;
  }

  /** The overload with {@code arity} parameters taking a SparkSession, else a SparkContext. */
  private static Method find(Class<?> owner, String name, int arity) {
    Method context = null;
    for (Method m : owner.getMethods()) {
      if (!m.getName().equals(name) || m.getParameterCount() != arity) {
        continue;
      }
      for (Class<?> p : m.getParameterTypes()) {
        if (p == SparkSession.class) {
          return m;
        }
        if (p == SparkContext.class) {
          context = m;
        }
      }
    }
    if (context == null) {
      throw new IllegalStateException("this Spark's " + owner.getSimpleName() + " has no " + name + " taking a "
          + "SparkSession or a SparkContext: cnn-spark supports Spark 3.5 and 4.x");
    }
    return context;
  }

  private static Object invoke(Method m, Object target, Object... args) {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }
}
