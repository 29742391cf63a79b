package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.namenode.NameNode;
import org.apache.hadoop.metrics2.lib.MutableCounterLong;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.Idx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image folder on a real HDFS: Hadoop's MiniDFSCluster (one NameNode, one DataNode) in the test
 * JVM, read through the ordinary loader with a full hdfs://localhost:port path, against the same
 * tree on local disk. Prints files/s of the listing (the plan) and of the whole load for both.
 */
@Tag("compat")
class HdfsImageFolderTest extends SparkDataTest {
  static final int CLASSES = 10;
  static final int PER_CLASS = 60;
  static final Shape SHAPE = new Shape(1, 28, 28);

  @TempDir
  static Path base;
  static MiniDFSCluster cluster;
  /** hdfs://localhost:port */
  static String hdfs;
  static Path local;
  /** Source image indices in the loader's order: folders by name, files by name. */
  static List<Integer> order;

  @BeforeAll
  static void startHdfs() throws IOException {
    Idx.Images images = fashionImages();
    int[] labels = fashionLabels();
    long t0 = System.nanoTime();
    Configuration conf = new Configuration();
    conf.setInt("dfs.replication", 1);
    // close() asks the NameNode to complete the file, which it does once the DataNode has reported the
    // block; the client's first retry waits 400 ms by default (600 files: over 2 minutes), here 5 ms.
    conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 5);
    cluster = new MiniDFSCluster.Builder(conf, base.resolve("dfs").toFile()).numDataNodes(1).format(true).build();
    cluster.waitActive();
    hdfs = cluster.getURI().toString();
    double started = (System.nanoTime() - t0) / 1e9;

    // Class folders c0..c9 (sorted as numbered), the first PER_CLASS test images of each label, named by index.
    local = base.resolve("local");
    order = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int c = 0; c < CLASSES; c++) {
      Files.createDirectories(local.resolve("c" + c));
      for (int i = 0, written = 0; written < PER_CLASS; i++) {
        if (labels[i] == c) {
          names.add("c" + c + "/" + String.format("img_%05d.png", i));
          order.add(i);
          written++;
        }
      }
    }
    long t1 = System.nanoTime();
    FileSystem fs = cluster.getFileSystem();
    parallel(order.size(), k -> {
      byte[] png = png(images, order.get(k));
      Files.write(local.resolve(names.get(k)), png);
      try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path("/images/" + names.get(k)))) {
        out.write(png);
      }
    });
    System.out.printf("MiniDFSCluster %s up in %.1f s; %d PNGs written to it and to local disk in %.1f s%n", hdfs,
        started, order.size(), (System.nanoTime() - t1) / 1e9);
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown();
      cluster = null;
    }
  }

  private static byte[] png(Idx.Images images, int i) throws IOException {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, 28, 28, Arrays.copyOfRange(images.pixels(), i * 784, (i + 1) * 784));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  @Test
  void hdfsLoadsTheSameRecordsAsLocalDisk() throws IOException {
    String onHdfs = hdfs + "/images";
    int n = CLASSES * PER_CLASS;
    List<String> names = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    // The plan sees hdfs:// paths: the executors (local mode, this JVM) read them from the DataNode.
    PlannedSource.Plan plan = plan(onHdfs);
    String first = ((ImageFolderSource) plan.source()).file(plan.slices().get(0), 0);
    assertTrue(first.startsWith(hdfs + "/images/c0/img_"), first);
    // One getListing RPC per directory (the root, then each class folder): fewer than dfs.ls.limit entries each.
    long rpcs = listingRpcs();
    plan(onHdfs);
    assertEquals(1 + CLASSES, listingRpcs() - rpcs, "getListing RPCs for one plan");

    LoadedData fromHdfs = load(DataOptions.of(onHdfs, 2));
    LoadedData fromLocal = load(DataOptions.of(local.toString(), 2));
    Flat h = checkLayout(fromHdfs, 2);
    Flat l = checkLayout(fromLocal, 2);
    for (LoadedData data : List.of(fromHdfs, fromLocal)) {
      assertEquals(n, data.count());
      assertEquals(SHAPE, data.shape());
      assertEquals(names, data.classNames());
      assertEquals(0, data.skipped());
    }
    assertArrayEquals(l.labels(), h.labels(), "labels in global order");
    assertArrayEquals(l.pixels(), h.pixels(), "pixels in global order");
    byte[] pixels = fashionImages().pixels();
    int[] labels = fashionLabels();
    for (int k = 0; k < n; k++) {
      int i = order.get(k);
      assertEquals(labels[i], h.labels()[k], "label of record " + k);
      assertArrayEquals(Arrays.copyOfRange(pixels, i * 784, (i + 1) * 784),
          Arrays.copyOfRange(h.pixels(), k * 784, (k + 1) * 784), "pixels of record " + k);
    }
    fromHdfs.unpersist();
    fromLocal.unpersist();
    // Timed after the loads above, which warmed up Spark (class loading, first jobs) and the file systems.
    Timed<LoadedData> loadHdfs = bestOf(2, () -> load(DataOptions.of(onHdfs, 2)));
    Timed<LoadedData> loadLocal = bestOf(2, () -> load(DataOptions.of(local.toString(), 2)));
    Timed<PlannedSource.Plan> listHdfs = bestOf(3, () -> plan(onHdfs));
    Timed<PlannedSource.Plan> listLocal = bestOf(3, () -> plan(local.toString()));
    System.out.printf("listing %d files (plan, best of 3): HDFS %.0f files/s (%.1f ms), local %.0f files/s (%.1f ms)%n",
        n, n / listHdfs.seconds(), listHdfs.seconds() * 1e3, n / listLocal.seconds(), listLocal.seconds() * 1e3);
    System.out.printf("whole load of %d files (list, decode, cache): HDFS %.0f files/s (%.2f s), local %.0f files/s "
        + "(%.2f s), best of 2%n", n, n / loadHdfs.seconds(), loadHdfs.seconds(), n / loadLocal.seconds(),
        loadLocal.seconds());
  }

  @Test
  void missingHdfsPathFailsClearly() {
    String missing = hdfs + "/no/such/images";
    fails(() -> load(DataOptions.of(missing, 2)), "data path " + missing + " does not exist", "check the path");
    fails(() -> load(DataOptions.of(missing, 2).withFormat("images")), "image folder " + missing + " does not exist");
  }

  /**
   * Not a check: files/s and getListing RPCs per directory of planning N empty files in F folders,
   * when -Dcnnspark.hdfs.listing.files=N (and optionally -Dcnnspark.hdfs.listing.folders=F, 100) is given.
   */
  @Test
  void listingFilesPerSecond() throws Exception {
    int n = Integer.getInteger("cnnspark.hdfs.listing.files", 0);
    int folders = Integer.getInteger("cnnspark.hdfs.listing.folders", 100);
    assumeTrue(n > 0, "a benchmark: pass -Dcnnspark.hdfs.listing.files=20000 to run it");
    String dir = "/many-" + n + "-" + folders;
    FileSystem fs = cluster.getFileSystem();
    long t0 = System.nanoTime();
    parallel(n, i -> fs.create(new org.apache.hadoop.fs.Path(dir + "/c" + i % folders + String.format("/img_%06d.png",
        i))).close());
    System.out.printf("created %d empty files in %d folders in %.1f s%n", n, folders, (System.nanoTime() - t0) / 1e9);
    for (int rep = 0; rep < 3; rep++) {
      long rpcs = listingRpcs();
      long t1 = System.nanoTime();
      PlannedSource.Plan plan = ImageFolderSource.plan(DataOptions.of(hdfs + dir, 2).withInputShape(SHAPE, false),
          spark.sparkContext().hadoopConfiguration(), null);
      double s = (System.nanoTime() - t1) / 1e9;
      long calls = listingRpcs() - rpcs;
      int records = plan.slices().stream().mapToInt(r -> r.paths.length).sum();
      System.out.printf("HDFS listing %d files in %d folders: %.3f s, %.0f files/s, %d getListing RPCs (the root's, "
          + "then %.2f per class folder)%n", records, folders, s, records / s, calls, (calls - 1.0) / folders);
    }
  }

  interface Task {
    void run(int i) throws IOException;
  }

  /** Runs task(0 .. n - 1) on 8 threads: one file write costs several RPCs and a DataNode round trip. */
  private static void parallel(int n, Task task) throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int first = t;
        done.add(pool.submit(() -> {
          for (int i = first; i < n; i += 8) {
            task.run(i);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } finally {
      pool.shutdown();
    }
  }

  private static PlannedSource.Plan plan(String path) {
    return ImageFolderSource.plan(DataOptions.of(path, 2).withInputShape(SHAPE, false),
        spark.sparkContext().hadoopConfiguration(), null);
  }

  /**
   * The NameNode's count of getListing RPCs (NameNodeActivity GetListingOps), read from its counter
   * directly: JMX shows the metrics system's snapshot, up to 10 s old.
   */
  private static long listingRpcs() {
    try {
      Field f = NameNode.getNameNodeMetrics().getClass().getDeclaredField("getListingOps");
      f.setAccessible(true);
      return ((MutableCounterLong) f.get(NameNode.getNameNodeMetrics())).value();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("NameNodeMetrics.getListingOps is not readable on this Hadoop", e);
    }
  }

  record Timed<T>(T value, double seconds) {}

  private static <T> Timed<T> timed(Supplier<T> work) {
    long t0 = System.nanoTime();
    T value = work.get();
    return new Timed<>(value, (System.nanoTime() - t0) / 1e9);
  }

  /** The fastest of reps runs (a LoadedData is unpersisted: only the time is kept). */
  private static <T> Timed<T> bestOf(int reps, Supplier<T> work) {
    Timed<T> best = null;
    for (int rep = 0; rep < reps; rep++) {
      Timed<T> t = timed(work);
      if (t.value() instanceof LoadedData data) {
        data.unpersist();
      }
      if (best == null || t.seconds() < best.seconds()) {
        best = t;
      }
    }
    return best;
  }
}
