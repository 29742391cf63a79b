package org.cnnspark.driver.data;

import java.io.Serializable;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.apache.spark.Partition;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import scala.Option;

/**
 * Groups cached chunk partitions into one partition per worker, each reading the chunks it names
 * in the order it names them (Spark's coalesce keeps a group's order): a task streams its
 * worker's chunks in a shuffled order, from memory or disk, local or fetched by the block manager.
 */
final class ChunkOrder implements PartitionCoalescer, Serializable {
  private static final long serialVersionUID = 1L;

  /** Per worker, the chunk partitions to read, in order. */
  private final int[][] order;

  ChunkOrder(int[][] order) {
    this.order = order;
  }

  /**
   * The coalescer of {@code order} as Spark's coalesce accepts it. Spark checks that it is a
   * Scala Serializable: with Scala 2.13 that is java.io.Serializable, with Scala 2.12 (Spark 3.5)
   * a trait of its own that Java code cannot name, so there it is a proxy that implements it.
   */
  static PartitionCoalescer of(int[][] order) {
    ChunkOrder c = new ChunkOrder(order);
    Class<?> scalaSerializable;
    try {
      scalaSerializable = Class.forName("scala.Serializable", false, PartitionCoalescer.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return c; // Scala 2.13: a type alias of java.io.Serializable
    }
    if (!scalaSerializable.isInterface() || scalaSerializable.isInstance(c)) {
      return c;
    }
    return (PartitionCoalescer) Proxy.newProxyInstance(PartitionCoalescer.class.getClassLoader(),
        new Class<?>[] {PartitionCoalescer.class, scalaSerializable}, new Forward(c));
  }

  /** Calls the coalescer; serializable, so the proxy is too. */
  private record Forward(ChunkOrder target) implements InvocationHandler, Serializable {
    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        return method.invoke(this, args);
      }
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  @Override
  public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
    Partition[] all = parent.partitions();
    PartitionGroup[] groups = new PartitionGroup[order.length];
    for (int w = 0; w < order.length; w++) {
      // No preferred host: Spark then prefers where the group's first chunk is cached.
      groups[w] = new PartitionGroup(Option.empty());
      for (int i : order[w]) {
        groups[w].partitions().$plus$eq(all[i]); // +=: addOne is Scala 2.13 only (Spark 3.5 has 2.12 too)
      }
    }
    return groups;
  }
}
