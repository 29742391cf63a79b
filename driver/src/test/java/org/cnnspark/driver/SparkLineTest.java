package org.cnnspark.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The tests run on the Spark line the build asked for: Spark, Scala and the Hadoop that this Spark
 * brings (hadoop-client-api) are the versions of the pom or its profile (surefire passes them in
 * driver/pom.xml). A profile whose hadoop.version is not its Spark's would test HDFS against a
 * MiniDFSCluster of another Hadoop, a mix no cluster runs.
 *
 * <p>When CNN_SPARK_CI_MATRIX names a file (.ci/run sets it), this test also appends the
 * combination this JVM ran on, "SPARK_LINE JDK_MAJOR SCALA_BINARY ARCH", for .ci/check-matrix to
 * compare with README.md's "Tested in CI" table: the record comes from the JVM the tests ran in, so
 * a Maven run that forked another JDK than intended records that JDK.
 */
@Tag("compat")
class SparkLineTest {
  @Test
  void theClasspathHoldsTheSparkScalaAndHadoopOfTheBuild() throws IOException {
    String spark = LocalSpark.sparkVersion();
    String scalaVersion = scala.util.Properties.versionNumberString();
    String hadoop = pomVersion("org.apache.hadoop", "hadoop-client-api");
    assertEquals(System.getProperty("cnnspark.sparkVersion"), spark,
        "Spark on the classpath vs the build's spark.version");
    assertEquals(System.getProperty("cnnspark.scalaBinaryVersion"), line(scalaVersion),
        "Scala on the classpath (" + scalaVersion + ")");
    assertEquals(System.getProperty("cnnspark.hadoopVersion"), hadoop,
        "the Hadoop that Spark " + spark + " brings vs the build's hadoop.version (the MiniDFSCluster's)");

    String record = System.getenv("CNN_SPARK_CI_MATRIX");
    if (record != null && !record.isEmpty()) {
      String line = String.format("%s %d %s %s    # Spark %s, JDK %s, Scala %s, Hadoop %s%n", line(spark),
          Runtime.version().feature(), line(scalaVersion), arch(), spark, Runtime.version(), scalaVersion, hadoop);
      Path file = Path.of(record);
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  /** "4.1.0" -> "4.1", "2.13.17" -> "2.13". */
  private static String line(String version) {
    String[] parts = version.split("\\.");
    return parts[0] + "." + parts[1];
  }

  /** The README's names: x86-64, arm64. */
  private static String arch() {
    String a = System.getProperty("os.arch");
    return switch (a) {
      case "amd64", "x86_64" -> "x86-64";
      case "aarch64", "arm64" -> "arm64";
      default -> a;
    };
  }

  /** The version in a jar's Maven metadata (META-INF/maven/GROUP/ARTIFACT/pom.properties). */
  private static String pomVersion(String group, String artifact) throws IOException {
    String resource = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = SparkLineTest.class.getClassLoader().getResourceAsStream(resource)) {
      assertNotNull(in, resource + " is not on the classpath: Spark brings " + artifact);
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    }
  }
}
