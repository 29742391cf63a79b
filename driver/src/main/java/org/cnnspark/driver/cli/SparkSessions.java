package org.cnnspark.driver.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.CnnKryoRegistrator;

/** The CLI's SparkSession: embedded local[*] unless --master or spark-submit says otherwise. */
final class SparkSessions {
  private SparkSessions() {}

  static SparkSession start(String master, String appName) {
    SparkConf conf = new SparkConf();
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) { // spark-submit passes spark.master as a system property
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.app.name", appName)
        .setIfMissing("spark.ui.showConsoleProgress", "false")
        .setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .setIfMissing("spark.kryo.registrator", CnnKryoRegistrator.class.getName())
        .setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
    if (conf.get("spark.master").startsWith("local")) {
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1").setIfMissing("spark.driver.host", "127.0.0.1");
    }
    return SparkSession.builder().config(conf).getOrCreate();
  }
}
