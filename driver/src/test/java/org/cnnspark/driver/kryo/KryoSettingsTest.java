package org.cnnspark.driver.kryo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.FieldSerializer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.train.DistributedTrainer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The one Kryo session setup: what it sets, what it keeps, what it refuses, and how Kryo writes our classes. */
@Tag("compat")
class KryoSettingsTest {
  @Test
  void anySerializerIsAcceptedButKryoThatRequiresRegistrationWithoutOurClasses() {
    SparkConf conf = new SparkConf(false);
    KryoSettings.check(conf); // Spark's default, Java serialization
    conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    KryoSettings.check(conf);
    conf.set("spark.kryo.registrationRequired", "true");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KryoSettings.check(conf));
    assertTrue(e.getMessage().contains("add " + CnnKryoRegistrator.class.getName() + " to spark.kryo.registrator"),
        e.getMessage());
    conf.set("spark.kryo.registrator", "com.example.Mine," + CnnKryoRegistrator.class.getName());
    KryoSettings.check(conf);
  }

  /** Kryo writes our classes field by field, as before they had Java serialization layouts of their own. */
  @Test
  void kryoKeepsItsFieldSerializerForOurClasses() {
    Kryo kryo = new KryoSerializer(KryoSettings.apply(new SparkConf(false))).newKryo();
    List<Class<?>> ours = new ArrayList<>();
    for (Class<?> c : Stream.concat(Datasets.kryoClasses().stream(), DistributedTrainer.kryoClasses().stream()).toList()) {
      if (c.getName().startsWith("org.cnnspark.") && !c.isArray()) {
        ours.add(c);
        assertEquals(FieldSerializer.class, kryo.getRegistration(c).getSerializer().getClass(), c.getName());
      }
    }
    assertTrue(ours.size() >= 6, ours.toString());
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

  @Test
  void describeNamesTheSerializerAndWhetherOursIsRegistered() {
    assertEquals("JavaSerializer", KryoSettings.describe(new SparkConf(false)));
    SparkConf kryo = new SparkConf(false).set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    assertEquals("Kryo without cnn-spark's registrator", KryoSettings.describe(kryo));
    assertEquals("Kryo with cnn-spark's registrator", KryoSettings.describe(KryoSettings.apply(kryo)));
  }
}
