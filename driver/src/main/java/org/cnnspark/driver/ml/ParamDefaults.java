package org.cnnspark.driver.ml;

import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;

/**
 * Sets Params' defaults one at a time: the varargs setDefault takes a Scala Seq, whose Java type
 * and converters differ between Scala 2.12 (Spark 3.5) and 2.13, while setDefault(param, value)
 * is the same on both.
 */
final class ParamDefaults {
  private ParamDefaults() {}

  @SuppressWarnings("unchecked")
  static void set(Params owner, List<ParamPair<?>> defaults) {
    for (ParamPair<?> p : defaults) {
      owner.setDefault((Param<Object>) p.param(), p.value());
    }
  }
}
