/**
 * How every layer of the driver uses Spark and Hadoop: {@link org.cnnspark.driver.spark.HadoopFiles}
 * (files on any Hadoop file system, written whole or not at all, and the Hadoop configuration
 * shipped to executors) and {@link org.cnnspark.driver.spark.SparkErrors} (a task's bad-input
 * error back on the driver as itself). The bottom layer: it must not depend on any other driver
 * package, nor on the engine beyond its file helpers ({@code engine.io}).
 */
package org.cnnspark.driver.spark;
