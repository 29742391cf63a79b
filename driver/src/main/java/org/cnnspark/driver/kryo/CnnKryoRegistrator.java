package org.cnnspark.driver.kryo;

import com.esotericsoftware.kryo.Kryo;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.spark.serializer.KryoRegistrator;
import org.cnnspark.driver.data.Datasets;
import org.cnnspark.driver.train.DistributedTrainer;

/**
 * Registers cnn-spark's classes with Spark's Kryo, so jobs can run with
 * {@code spark.kryo.registrationRequired=true}: set {@code spark.serializer=
 * org.apache.spark.serializer.KryoSerializer} and {@code spark.kryo.registrator=} this class.
 */
public final class CnnKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    // One list, in a fixed order: registration ids must agree between the driver and every executor.
    Set<Class<?>> classes = new LinkedHashSet<>(Datasets.kryoClasses());
    classes.addAll(DistributedTrainer.kryoClasses());
    for (Class<?> c : classes) {
      kryo.register(c);
    }
  }
}
