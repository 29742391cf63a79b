package org.cnnspark.driver.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.cnnspark.engine.io.Idx;

/**
 * Where the quickstart finds Fashion-MNIST: a directory with the dataset's four IDX .gz files
 * (the Debian package's, one the user names, or a cache filled from the dataset's public
 * download address). Downloads land under a temporary name and are renamed only after the pair
 * of images and labels files reads back as IDX with matching counts, so a broken download never
 * passes for the dataset.
 */
final class FashionMnistFiles {
  /** Where Debian's dataset-fashion-mnist package installs it. */
  static final Path SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  /** The dataset's public download address (Zalando Research's, as its README gives it). */
  static final String PUBLIC_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
  static final List<String> PREFIXES = List.of("train", "t10k");

  private FashionMnistFiles() {}

  static String images(String prefix) {
    return prefix + "-images-idx3-ubyte.gz";
  }

  static String labels(String prefix) {
    return prefix + "-labels-idx1-ubyte.gz";
  }

  static List<String> names() {
    return List.of(images("train"), labels("train"), images("t10k"), labels("t10k"));
  }

  /** The package's directory; tests point it elsewhere (cnnspark.quickstart.systemDir) to act as a machine without it. */
  static Path systemDir() {
    return Path.of(System.getProperty("cnnspark.quickstart.systemDir", SYSTEM_DIR.toString()));
  }

  /** True when dir holds all four files. */
  static boolean complete(Path dir) {
    return names().stream().allMatch(n -> Files.isRegularFile(dir.resolve(n)));
  }

  /** The files of the four that dir lacks, for error messages. */
  static List<String> missing(Path dir) {
    return names().stream().filter(n -> !Files.isRegularFile(dir.resolve(n))).toList();
  }

  /**
   * Downloads the files dir lacks from {@code base} (a URL ending in '/'), checks each images and
   * labels pair, and moves them into dir.
   */
  static void download(URI base, Path dir, PrintStream log) throws IOException {
    Files.createDirectories(dir);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    for (String prefix : PREFIXES) {
      if (Files.isRegularFile(dir.resolve(images(prefix))) && Files.isRegularFile(dir.resolve(labels(prefix)))) {
        continue;
      }
      Path images = fetch(http, base, images(prefix), dir, log);
      Path labels = fetch(http, base, labels(prefix), dir, log);
      try {
        int n = Idx.readImages(images).count();
        int m = Idx.readLabels(labels).length;
        if (n != m || n == 0) {
          throw new IOException(n + " images but " + m + " labels");
        }
        Files.move(images, dir.resolve(images(prefix)), StandardCopyOption.ATOMIC_MOVE);
        Files.move(labels, dir.resolve(labels(prefix)), StandardCopyOption.ATOMIC_MOVE);
        log.printf("cnn-spark: %s: %,d images and labels%n", prefix, n);
      } catch (IOException | RuntimeException e) {
        throw new IOException("the download of " + base.resolve(images(prefix)) + " and " + labels(prefix)
            + " is not a readable IDX pair (" + e.getMessage() + "); nothing was kept. Retry, or fetch the files yourself "
            + "into a directory and pass it with --data-dir", e);
      } finally {
        Files.deleteIfExists(images);
        Files.deleteIfExists(labels);
      }
    }
  }

  private static Path fetch(HttpClient http, URI base, String name, Path dir, PrintStream log) throws IOException {
    URI uri = base.resolve(name);
    Path part = dir.resolve("." + name + ".part");
    log.println("cnn-spark: downloading " + uri);
    try {
      HttpResponse<Path> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build(),
          HttpResponse.BodyHandlers.ofFile(part));
      if (r.statusCode() != 200) {
        throw new IOException("HTTP " + r.statusCode());
      }
      return part;
    } catch (IOException | InterruptedException e) {
      Files.deleteIfExists(part);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("could not download " + uri + " (" + (e.getMessage() == null ? e.getClass().getSimpleName()
          : e.getMessage()) + ")", e);
    }
  }
}
