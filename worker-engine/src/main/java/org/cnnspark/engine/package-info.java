/** The CNN engine. Plain Java: must not depend on Spark, Scala or Hadoop (the build enforces it). */
package org.cnnspark.engine;
