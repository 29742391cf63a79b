package org.cnnspark.driver.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart's data finding and download (against a server on 127.0.0.1 serving small
 * Fashion-MNIST cuts), its refusals, and the whole command on local[2].
 */
class QuickstartTest {
  @TempDir
  static Path dir;
  static Path small;
  static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    small = dir.resolve("small");
    LocalSpark.writeIdx(small, "train", LocalSpark.fashion("train", 0, 600), true);
    LocalSpark.writeIdx(small, "t10k", LocalSpark.fashion("t10k", 0, 200), true);
    spark = LocalSpark.start(2, "cnn-spark quickstart tests");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** Serves files by name from a map on 127.0.0.1; counts requests. */
  record Server(HttpServer http, AtomicInteger requests) implements AutoCloseable {
    static Server of(Map<String, byte[]> files) throws IOException {
      HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      AtomicInteger requests = new AtomicInteger();
      http.createContext("/fmnist/", ex -> {
        requests.incrementAndGet();
        byte[] body = files.get(ex.getRequestURI().getPath().substring("/fmnist/".length()));
        ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
        if (body != null) {
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        }
        ex.close();
      });
      http.start();
      return new Server(http, requests);
    }

    URI base() {
      return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/fmnist/");
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }

  static Map<String, byte[]> smallFiles() throws IOException {
    Map<String, byte[]> files = new ConcurrentHashMap<>();
    for (String name : FashionMnistFiles.names()) {
      files.put(name, Files.readAllBytes(small.resolve(name)));
    }
    return files;
  }

  static List<String> listing(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void downloadsTheFourFilesOnceAndKeepsThemAsServed() throws IOException {
    Path cache = dir.resolve("cache");
    try (Server server = Server.of(smallFiles())) {
      FashionMnistFiles.download(server.base(), cache, new PrintStream(OutputStream.nullOutputStream()));
      assertEquals(4, server.requests().get());
      assertEquals(FashionMnistFiles.names().stream().sorted().toList(), listing(cache), "the four files, no leftovers");
      for (String name : FashionMnistFiles.names()) {
        assertArrayEquals(Files.readAllBytes(small.resolve(name)), Files.readAllBytes(cache.resolve(name)), name);
      }
      FashionMnistFiles.download(server.base(), cache, new PrintStream(OutputStream.nullOutputStream()));
      assertEquals(4, server.requests().get(), "a complete cache is not downloaded again");
    }
  }

  @Test
  void aBrokenDownloadKeepsNothingAndSaysWhatToDo() throws IOException {
    Map<String, byte[]> files = smallFiles();
    byte[] images = files.get("t10k-images-idx3-ubyte.gz");
    files.put("t10k-images-idx3-ubyte.gz", Arrays.copyOf(images, images.length / 2));
    Path cache = dir.resolve("cache-broken");
    try (Server server = Server.of(files)) {
      IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> FashionMnistFiles.download(server.base(), cache, new PrintStream(OutputStream.nullOutputStream())));
      assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz") && e.getMessage().contains("--data-dir"), e.getMessage());
    }
    assertEquals(List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"), listing(cache),
        "the good pair is kept, the broken one and its temporaries are not");
  }

  @Test
  void aDataDirWithoutTheFilesIsRefused() {
    CliTest.Run r = run("quickstart", "--data-dir", dir.resolve("nothing-here").toString(), "--out",
        dir.resolve("never").toString());
    assertEquals(Main.BAD_INPUT, r.code(), r.err());
    assertTrue(r.err().contains("--data-dir") && r.err().contains("t10k-labels-idx1-ubyte.gz"), r.err());
    assertFalse(Files.exists(dir.resolve("never")), "no model without data");
  }

  @Test
  void noDatasetAnywhereNamesTheThreeWays() throws IOException {
    // As on a machine without the Debian package (here it is installed, and the quickstart would use it).
    System.setProperty("cnnspark.quickstart.systemDir", dir.resolve("no-package").toString());
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    CliTest.Run r;
    try {
      r = run("quickstart", "--cache-dir", dir.resolve("empty-cache").toString(), "--download-from",
          "http://127.0.0.1:" + closedPort + "/", "--out", dir.resolve("never").toString());
    } finally {
      System.clearProperty("cnnspark.quickstart.systemDir");
    }
    assertEquals(Main.BAD_INPUT, r.code(), r.err());
    for (String s : new String[] {"could not download", "apt-get install -y dataset-fashion-mnist", "--data-dir"}) {
      assertTrue(r.err().contains(s), "missing '" + s + "' in: " + r.err());
    }
    assertFalse(Files.exists(dir.resolve("never")), "no model without data");
  }

  @Test
  void quickstartTrainsAndPrintsAccuracyThroughputModelAndReport() throws IOException {
    Path out = dir.resolve("qs-model");
    CliTest.Run r = run("quickstart", "--data-dir", small.toString(), "--epochs", "1", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    // the figures printed are the run's: its last metrics line, and every one of the 600 images trained once
    List<String> metrics = Files.readAllLines(out.resolve(ModelDir.METRICS));
    RoundMetrics last = RoundMetrics.fromJson(metrics.get(metrics.size() - 1));
    String accuracy = String.format("test accuracy  %.2f%% after 1 epoch (train loss %.4f)",
        100 * last.testAccuracy(), last.loss());
    for (String s : new String[] {accuracy, "training images/s (600 images in", "model          " + out,
        "report         " + out.resolve("report.html").toAbsolutePath()}) {
      assertTrue(r.out().contains(s), "missing '" + s + "' in:\n" + r.out());
    }
    assertTrue(Files.exists(out.resolve("model.cnn")) && Files.exists(out.resolve("report.html")));
    assertTrue(r.err().contains("tutorial CNN"), r.err());

    // run again: it continues from the finished run's last checkpoint, with nothing left to train
    CliTest.Run again = run("quickstart", "--data-dir", small.toString(), "--epochs", "1", "--out", out.toString());
    assertEquals(0, again.code(), again.err());
    assertTrue(again.err().contains("resuming from") && !again.err().contains("epoch 1/1"), again.err());
  }

  static CliTest.Run run(String... args) {
    return CliTest.run(args);
  }
}
