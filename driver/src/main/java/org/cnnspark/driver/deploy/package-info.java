/**
 * Deployment helpers: {@link org.cnnspark.driver.deploy.ClusterCheck}, a smoke check that shows which
 * executor JVMs a cluster gives a job and what cnn-spark finds in each (kernels, Vector API,
 * serializer, versions); {@code cnn-spark check} runs it. Depends on the engine, kryo and Spark
 * only; only the CLI depends on it.
 */
package org.cnnspark.driver.deploy;
