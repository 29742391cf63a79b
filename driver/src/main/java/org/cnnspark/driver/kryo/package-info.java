/**
 * Spark's Kryo for cnn-spark: {@link org.cnnspark.driver.kryo.CnnKryoRegistrator} (the classes
 * that travel between driver and executors, as {@code data} and {@code train} list them) and
 * {@link org.cnnspark.driver.kryo.KryoSettings} (the session settings that use it, the one place
 * they are written). Above {@code data} and {@code train}, which must not name it; used by the
 * entry points, the examples and the tests.
 */
package org.cnnspark.driver.kryo;
