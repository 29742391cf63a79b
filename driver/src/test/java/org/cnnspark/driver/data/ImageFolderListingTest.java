package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.cnnspark.engine.Shape;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's listing of an image folder (the plan, no Spark): which files become records, in
 * which order, and that listing never asks for a file's owner or permissions (the local file
 * system without Hadoop's native library starts an {@code ls -ld} process for each such question).
 */
class ImageFolderListingTest {
  /** The shape is given, so planning decodes no image and the files' content does not matter. */
  static final Shape SHAPE = new Shape(1, 2, 2);

  @TempDir
  Path root;

  @BeforeEach
  void writeTree() throws IOException {
    for (String f : List.of("loose.png", "_SUCCESS", ".git/x.png", "cat/1.png", "cat/10.png", "cat/2.PNG",
        "cat/a b.jpg", "cat/notes.txt", "cat/.hidden.png", "cat/_tmp.png", "cat/sub/3.png", "cat/sub-x.png",
        "cat/.thumbs/4.png", "dog/deep/er/5.gif")) {
      Path p = root.resolve(f);
      Files.createDirectories(p.getParent());
      Files.writeString(p, f);
    }
    Files.createDirectories(root.resolve("empty"));
  }

  /**
   * Files under a class folder sort by whole path ("sub-x.png" before "sub/3.png"); hidden names
   * (".x", "_x") are left out, but not files inside a hidden sub-folder of a class (as before).
   */
  static final List<String> RECORDS = List.of("loose.png -1", "cat/.thumbs/4.png 0", "cat/1.png 0", "cat/10.png 0",
      "cat/2.PNG 0", "cat/a b.jpg 0", "cat/sub-x.png 0", "cat/sub/3.png 0", "dog/deep/er/5.gif 1");

  @Test
  void recordsAndOrderOfALocalFolderTree() throws IOException {
    PlannedSource.Plan plan = plan(root.toString(), new Configuration());
    assertEquals(List.of("cat", "dog", "empty"), plan.classNames());
    assertEquals(expected("file:"), records(plan));
  }

  @Test
  void listingReadsNoOwnerOrPermission() throws IOException {
    Configuration conf = new Configuration();
    conf.setClass("fs.countfs.impl", CountingFs.class, org.apache.hadoop.fs.FileSystem.class);
    conf.setBoolean("fs.countfs.impl.disable.cache", true);
    CountingFs.READS.set(0);
    CountingFs.LISTED.clear();
    PlannedSource.Plan plan = plan("countfs://" + root, conf);
    assertEquals(expected("countfs:"), records(plan));
    assertEquals(0, CountingFs.READS.get(), "owner, group or permission reads while listing");
    // One listing call per directory, hidden ones included (their files may be records, see RECORDS).
    List<String> dirs = new ArrayList<>();
    try (var walk = Files.walk(root)) {
      walk.filter(Files::isDirectory).forEach(d -> dirs.add(d.toString()));
    }
    dirs.remove(root.resolve(".git").toString());
    List<String> listed = new ArrayList<>(CountingFs.LISTED);
    listed.sort(null);
    dirs.sort(null);
    assertEquals(dirs, listed, "directories listed, each once");
  }

  /** Many folders listed by many threads: every file, every time (a listing must not end before its last folder). */
  @Test
  void manyFoldersListedInParallelLoseNoFile() throws IOException {
    Path many = root.resolve("many");
    for (int c = 0; c < 64; c++) {
      for (int i = 0; i < 1 + c % 3; i++) { // 127 files in all
        Path p = many.resolve(String.format("c%02d", c)).resolve(i % 2 == 0 ? i + ".png" : "d/" + i + ".png");
        Files.createDirectories(p.getParent());
        Files.writeString(p, "x");
      }
    }
    for (int rep = 0; rep < 20; rep++) {
      assertEquals(127, records(plan(many.toString(), new Configuration())).size());
    }
  }

  @Test
  void aFolderThatCannotBeListedIsNamed() {
    Configuration conf = new Configuration();
    conf.setClass("fs.countfs.impl", CountingFs.class, org.apache.hadoop.fs.FileSystem.class);
    conf.setBoolean("fs.countfs.impl.disable.cache", true);
    CountingFs.FAIL.set(root.resolve("cat/sub").toString());
    try {
      DataException e = assertThrows(DataException.class, () -> plan("countfs://" + root, conf));
      assertTrue(e.getMessage().startsWith("cannot list directory countfs:" + root.resolve("cat/sub") + ": "),
          e.getMessage());
    } finally {
      CountingFs.FAIL.set(null);
    }
  }

  /** Not a check: prints files/s of planning N files in 10 folders, when -Dcnnspark.listing.files=N is given. */
  @Test
  void filesPerSecond() throws IOException {
    int n = Integer.getInteger("cnnspark.listing.files", 0);
    assumeTrue(n > 0, "a benchmark: pass -Dcnnspark.listing.files=2000 to run it");
    Path big = root.resolve("big");
    for (int i = 0; i < n; i++) {
      Path p = big.resolve("c" + i % 10).resolve(String.format("img_%06d.png", i));
      Files.createDirectories(p.getParent());
      Files.writeString(p, "x");
    }
    for (int rep = 0; rep < 3; rep++) {
      long t0 = System.nanoTime();
      int records = records(plan(big.toString(), new Configuration())).size();
      double s = (System.nanoTime() - t0) / 1e9;
      System.out.printf("listing %d files: %.3f s, %.0f files/s%n", records, s, records / s);
    }
  }

  private PlannedSource.Plan plan(String path, Configuration conf) {
    return ImageFolderSource.plan(DataOptions.of(path, 2).withLabelsOptional(true).withInputShape(SHAPE, false), conf,
        null);
  }

  /** "path length label" for every record in global order. */
  private static List<String> records(PlannedSource.Plan plan) {
    List<String> out = new ArrayList<>();
    ImageFolderSource source = (ImageFolderSource) plan.source();
    for (ReadSlice s : plan.slices()) {
      for (int i = 0; i < s.paths.length; i++) {
        out.add(source.file(s, i) + " " + s.counts[i] + " " + s.labels[i]);
      }
    }
    return out;
  }

  private List<String> expected(String scheme) throws IOException {
    List<String> out = new ArrayList<>();
    for (String r : RECORDS) {
      String[] f = r.split(" (?=-?\\d+$)");
      Path p = root.resolve(f[0]);
      out.add(scheme + p + " " + Files.size(p) + " " + f[1]);
    }
    return out;
  }

  /** The raw local file system under the scheme countfs:, counting what a listing reads of each status. */
  public static final class CountingFs extends RawLocalFileSystem {
    static final AtomicInteger READS = new AtomicInteger();
    static final Queue<String> LISTED = new ConcurrentLinkedQueue<>();
    static final AtomicReference<String> FAIL = new AtomicReference<>();

    @Override
    public URI getUri() {
      return URI.create("countfs:///");
    }

    @Override
    public FileStatus[] listStatus(org.apache.hadoop.fs.Path f) throws IOException {
      String local = f.toUri().getPath();
      LISTED.add(local);
      if (local.equals(FAIL.get())) {
        throw new IOException("permission denied (a test)");
      }
      FileStatus[] found = super.listStatus(f);
      for (int i = 0; i < found.length; i++) {
        FileStatus s = found[i];
        found[i] = new FileStatus(s.getLen(), s.isDirectory(), s.getReplication(), s.getBlockSize(),
            s.getModificationTime(), s.getPath()) {
          @Override
          public FsPermission getPermission() {
            READS.incrementAndGet();
            return super.getPermission();
          }

          @Override
          public String getOwner() {
            READS.incrementAndGet();
            return super.getOwner();
          }

          @Override
          public String getGroup() {
            READS.incrementAndGet();
            return super.getGroup();
          }
        };
      }
      return found;
    }
  }
}
