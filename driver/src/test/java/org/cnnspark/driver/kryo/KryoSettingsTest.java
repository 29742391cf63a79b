package org.cnnspark.driver.kryo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The one Kryo session setup: what it sets, what it keeps, and what it refuses. */
@Tag("compat")
class KryoSettingsTest {
  @Test
  void sessionsWithoutKryoAreRefusedWithWhatToSet() {
    SparkConf conf = new SparkConf(false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KryoSettings.check(conf));
    assertTrue(e.getMessage().contains("spark.serializer=org.apache.spark.serializer.KryoSerializer"), e.getMessage());
    conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer").set("spark.kryo.registrationRequired", "true");
    e = assertThrows(IllegalArgumentException.class, () -> KryoSettings.check(conf));
    assertTrue(e.getMessage().contains(CnnKryoRegistrator.class.getName()), e.getMessage());
    conf.set("spark.kryo.registrator", "com.example.Mine," + CnnKryoRegistrator.class.getName());
    KryoSettings.check(conf);
  }

  @Test
  void applyGivesASessionTheCheckAcceptsAndKeepsOtherRegistrators() {
    SparkConf fresh = KryoSettings.apply(new SparkConf(false));
    KryoSettings.check(fresh);
    assertEquals("true", fresh.get("spark.kryo.registrationRequired"));

    SparkConf theirs = KryoSettings.apply(new SparkConf(false).set("spark.kryo.registrator", "com.example.Mine")
        .set("spark.kryo.registrationRequired", "false"));
    assertEquals("com.example.Mine," + CnnKryoRegistrator.class.getName(), theirs.get("spark.kryo.registrator"));
    assertEquals("false", theirs.get("spark.kryo.registrationRequired"), "a setting given is kept");
    KryoSettings.check(theirs);
  }
}
