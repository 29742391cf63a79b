package org.cnnspark.driver;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;
import org.cnnspark.driver.data.Datasets;

/**
 * Registers cnn-spark's classes with Spark's Kryo, so jobs can run with
 * {@code spark.kryo.registrationRequired=true}: set {@code spark.serializer=
 * org.apache.spark.serializer.KryoSerializer} and {@code spark.kryo.registrator=} this class.
 */
public final class CnnKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    for (Class<?> c : Datasets.kryoClasses()) {
      kryo.register(c);
    }
    for (Class<?> c : org.cnnspark.driver.train.DistributedTrainer.kryoClasses()) {
      kryo.register(c);
    }
  }
}
