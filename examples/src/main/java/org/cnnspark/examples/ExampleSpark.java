package org.cnnspark.examples;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.kryo.KryoSettings;

/** The SparkSession the examples start from their main: what spark-submit says, else local[*], with cnn-spark's Kryo settings. */
final class ExampleSpark {
  private ExampleSpark() {}

  static SparkSession session(String appName) {
    // new SparkConf() reads the spark.* system properties spark-submit sets (spark.master among them).
    SparkConf conf = new SparkConf().setAppName(appName).setIfMissing("spark.master", "local[*]")
        .setIfMissing("spark.ui.showConsoleProgress", "false");
    return SparkSession.builder().config(KryoSettings.apply(conf)).getOrCreate();
  }
}
