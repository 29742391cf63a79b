package org.cnnspark.driver;

import java.nio.ByteBuffer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.cnnspark.driver.kryo.KryoSettings;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/** Test support: objects through Spark's two serializers as a shuffle or a task result carries them. */
public final class Shipping {
  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.apply(Object.class);

  private Shipping() {}

  /** Spark's default serializer. */
  public static SerializerInstance java() {
    return new JavaSerializer(new SparkConf(false)).newInstance();
  }

  /** Kryo with cnn-spark's settings (registration required). */
  public static SerializerInstance kryo() {
    return new KryoSerializer(KryoSettings.apply(new SparkConf(false))).newInstance();
  }

  /** The bytes {@code s} writes for {@code o}. */
  public static byte[] bytes(SerializerInstance s, Object o) {
    ByteBuffer b = s.serialize(o, ANY);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** {@code o} written and read back by {@code s}. */
  @SuppressWarnings("unchecked")
  public static <T> T roundTrip(SerializerInstance s, T o) {
    return (T) s.deserialize(ByteBuffer.wrap(bytes(s, o)), ANY);
  }
}
