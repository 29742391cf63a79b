package org.cnnspark.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The runtime artifact as a user gets it: {@code spark-submit --packages
 * org.cnnspark:cnn-spark-runtime-<line>_<scala>:<version>}. The build installs the artifact into a
 * repository of its own ({@code runtime/target/it-repo}, with Maven's install-file, as {@code mvn
 * install} does into ~/.m2); this test points Ivy at that directory alone and runs Spark's own
 * {@code SparkSubmit} (from the Maven jars on this test's classpath, which hold no cnn-spark class)
 * on {@code local[2]}, which must resolve the one jar and train with it.
 */
@Tag("compat")
class RuntimePackagesIT {
  private static final String COORDINATES = System.getProperty("cnnspark.runtime.coordinates",
      "org.cnnspark:cnn-spark-runtime-4.0_2.13:0.1.0-SNAPSHOT");
  private static final Path REPO = Path.of(System.getProperty("cnnspark.runtime.repo", "target/it-repo")).toAbsolutePath();
  private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  private static final String RESOLVER = "cnn-spark-it";

  @TempDir
  Path dir;

  private static String[] gav() {
    return COORDINATES.split(":");
  }

  private static Path versionDir() {
    String[] gav = gav();
    return REPO.resolve(gav[0].replace('.', '/')).resolve(gav[1]).resolve(gav[2]);
  }

  @Test
  void thePublishedPomHasNoParentAndNoDependencies() throws Exception {
    String[] gav = gav();
    Path pom = versionDir().resolve(gav[1] + "-" + gav[2] + ".pom");
    assertTrue(Files.isRegularFile(pom), "not installed: " + pom + " (the build's install-file step writes it)");
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    Element project = doc.getDocumentElement();
    assertEquals(List.of("modelVersion", "groupId", "artifactId", "version", "packaging", "name", "description"),
        children(project), "the runtime POM's elements");
    assertEquals(gav[0], text(project, "groupId"));
    assertEquals(gav[1], text(project, "artifactId"));
    assertEquals(gav[2], text(project, "version"));
    assertEquals("jar", text(project, "packaging"));
    assertTrue(gav[1].matches("cnn-spark-runtime-\\d+\\.\\d+_2\\.1[23]"), "artifactId: " + gav[1]);
    assertTrue(Files.isRegularFile(versionDir().resolve(gav[1] + "-" + gav[2] + ".jar")), "the jar, without a classifier");
  }

  @Test
  void sparkSubmitWithPackagesResolvesTheRuntimeJarAndTrains() throws Exception {
    assumeTrue(Files.exists(FASHION.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not in " + FASHION + ": apt-get install dataset-fashion-mnist (skipping the training run)");
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.cnnspark.driver.cli.Main"),
        "cnn-spark is on the test's classpath: spark-submit must get it through --packages alone");
    Path train = subset("train", 600);
    Path test = subset("t10k", 200);
    Path ivyHome = dir.resolve("ivy");
    Path settings = Files.writeString(dir.resolve("ivysettings.xml"), """
        <ivysettings>
          <settings defaultResolver="%s"/>
          <resolvers>
            <ibiblio name="%s" m2compatible="true" root="%s"/>
          </resolvers>
        </ivysettings>
        """.formatted(RESOLVER, RESOLVER, REPO.toUri()));
    Path out = dir.resolve("model");

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(System.getProperty("cnnspark.jvmFlags", "").trim().split("\\s+")));
    cmd.addAll(List.of("-Xmx1g", "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("javacpp"),
        "-cp", sparkClasspath(), "org.apache.spark.deploy.SparkSubmit",
        "--master", "local[2]",
        "--packages", COORDINATES,
        "--conf", "spark.jars.ivySettings=" + settings,
        "--conf", "spark.jars.ivy=" + ivyHome,
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        // no application jar: the main class comes from the resolved package (SparkLauncher.NO_RESOURCE)
        "--class", "org.cnnspark.driver.cli.Main", "spark-internal",
        "train", "--data", train.toString(), "--test", test.toString(), "--arch", "tutorial-cnn",
        "--epochs", "1", "--workers", "2", "--batch-size", "32", "--lr", "0.05", "--out", out.toString()));
    Path log = Files.createDirectories(Path.of("target")).resolve("spark-submit-packages.log"); // kept to read afterwards
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("spark-submit did not end in 5 minutes:\n" + Files.readString(log));
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);

    // Ivy: the runtime found in our repository, and nothing else resolved or copied
    String[] gav = gav();
    String module = gav[0] + "#" + gav[1] + ";" + gav[2];
    List<String> found = output.lines().map(String::strip).filter(l -> l.startsWith("found ")).toList();
    assertEquals(List.of("found " + module + " in " + RESOLVER), found, "what Ivy resolved:\n" + output);
    try (Stream<Path> jars = Files.list(ivyHome.resolve("jars"))) {
      assertEquals(List.of(gav[0] + "_" + gav[1] + "-" + gav[2] + ".jar"),
          jars.map(j -> j.getFileName().toString()).sorted().toList(), "the jars spark-submit added");
    }
    // the engine loaded its native kernels from the resolved jar, and training learned something
    assertTrue(output.contains("cnn-spark kernels: " + (System.getProperty("os.arch").equals("amd64") ? "dnnl" : "openblas"))
        || !System.getProperty("os.arch").matches("amd64|aarch64"),
        "the native kernels did not load from the runtime jar:\n" + output);
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    Matcher m = Pattern.compile("\"test_accuracy\":([0-9.eE-]+)").matcher(metrics.get(metrics.size() - 1));
    assertTrue(m.find(), "no test accuracy in metrics.jsonl: " + metrics);
    // one epoch of 600 images on two workers; chance is 0.1
    assertTrue(Double.parseDouble(m.group(1)) > 0.3, "training did not learn: " + metrics);
  }

  /** Spark as a cluster has it: this JVM's jars (Spark, Scala, Hadoop; JUnit is harmless), without directories. */
  private static String sparkClasspath() {
    List<String> jars = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (e.endsWith(".jar")) {
        assertFalse(Path.of(e).getFileName().toString().startsWith("cnn-spark"), "cnn-spark on the classpath: " + e);
        jars.add(e);
      }
    }
    return String.join(File.pathSeparator, jars);
  }

  /** The first n images of Fashion-MNIST's {prefix} set, as IDX files (images and their labels sibling) in dir. */
  private Path subset(String prefix, int n) throws IOException {
    Path images = dir.resolve(prefix + "-images-idx3-ubyte");
    try (DataInputStream in = gunzip(FASHION.resolve(prefix + "-images-idx3-ubyte.gz"));
         DataOutputStream o = new DataOutputStream(Files.newOutputStream(images))) {
      int magic = in.readInt();
      in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      o.writeInt(magic);
      o.writeInt(n);
      o.writeInt(rows);
      o.writeInt(cols);
      copy(in, o, (long) n * rows * cols);
    }
    try (DataInputStream in = gunzip(FASHION.resolve(prefix + "-labels-idx1-ubyte.gz"));
         DataOutputStream o = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte")))) {
      o.writeInt(in.readInt());
      in.readInt();
      o.writeInt(n);
      copy(in, o, n);
    }
    return images;
  }

  private static DataInputStream gunzip(Path p) throws IOException {
    return new DataInputStream(new GZIPInputStream(Files.newInputStream(p)));
  }

  private static void copy(InputStream in, OutputStream out, long n) throws IOException {
    byte[] b = in.readNBytes(Math.toIntExact(n));
    assertEquals(n, b.length, "Fashion-MNIST file shorter than expected");
    out.write(b);
  }

  private static List<String> children(Element e) {
    List<String> names = new ArrayList<>();
    for (Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
      if (c instanceof Element el) {
        names.add(el.getTagName());
      }
    }
    return names;
  }

  private static String text(Element parent, String tag) {
    return parent.getElementsByTagName(tag).item(0).getTextContent().strip();
  }
}
