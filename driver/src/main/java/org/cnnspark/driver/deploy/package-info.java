/**
 * Deployment helpers: {@link org.cnnspark.driver.deploy.ClusterCheck}, a smoke check that shows which
 * executor JVMs a cluster gives a job and whether the native kernels load there. Depends on the
 * engine and Spark only; nothing else in the driver depends on it.
 */
package org.cnnspark.driver.deploy;
