package org.cnnspark.driver.data;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Finding and reading input files (globs, directory listings, reads from an offset, whole small
 * files), with every failure a {@link DataException} naming the path. Reads
 * use the file system Hadoop gives the path (for local files the checksumming one, which verifies
 * a {@code .crc} side file when there is one), not the raw one {@code HadoopFiles} writes with.
 */
final class InputFiles {
  private InputFiles() {}

  static FileSystem fs(Path path, Configuration conf) {
    try {
      return path.getFileSystem(conf);
    } catch (IOException e) {
      throw new DataException("cannot open the file system of " + path + ": " + e.getMessage(), e);
    }
  }

  /** The status of an existing path, or a message naming it and the option that set it. */
  static FileStatus status(Path path, Configuration conf, String what) {
    try {
      return fs(path, conf).getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new DataException(what + " " + path + " does not exist: check the path");
    } catch (IOException e) {
      throw new DataException("cannot read " + what + " " + path + ": " + e.getMessage(), e);
    }
  }

  static boolean exists(Path path, Configuration conf) {
    try {
      return fs(path, conf).exists(path);
    } catch (IOException e) {
      return false;
    }
  }

  static boolean isGlob(String path) {
    return path.indexOf('*') >= 0 || path.indexOf('?') >= 0 || path.indexOf('[') >= 0 || path.indexOf('{') >= 0;
  }

  /** Files matching a glob, sorted by path; directories are left out. */
  static List<FileStatus> glob(Path pattern, Configuration conf) {
    try {
      FileStatus[] found = fs(pattern, conf).globStatus(pattern);
      List<FileStatus> files = new ArrayList<>();
      if (found != null) {
        for (FileStatus s : found) {
          if (s.isFile()) {
            files.add(s);
          }
        }
      }
      files.sort(Comparator.comparing(s -> s.getPath().toString()));
      return files;
    } catch (IOException e) {
      throw new DataException("cannot list " + pattern + ": " + e.getMessage(), e);
    }
  }

  /** Direct children of a directory sorted by name, without hidden entries (".x", "_SUCCESS"). */
  static List<FileStatus> list(Path dir, Configuration conf) {
    try {
      List<FileStatus> out = new ArrayList<>(Arrays.asList(fs(dir, conf).listStatus(dir)));
      out.removeIf(s -> hidden(s.getPath()));
      out.sort(Comparator.comparing(s -> s.getPath().getName()));
      return out;
    } catch (IOException e) {
      throw new DataException("cannot list directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Threads listing directories at once: listing is a round trip per directory on HDFS and object stores. */
  static final int LIST_THREADS = 16;

  /**
   * The files under each directory (at any depth), each list sorted by path string; one
   * listStatus per directory, directories listed by up to {@link #LIST_THREADS} threads at once.
   * Not listFiles(dir, true): it builds a LocatedFileStatus per file, whose constructor reads
   * owner and permissions, and the local file system without Hadoop's native library gets those
   * by running {@code ls -ld} once per file. Path, length and type are all a plan needs.
   */
  static List<List<FileStatus>> filesUnder(List<Path> dirs, Configuration conf) {
    List<ConcurrentLinkedQueue<FileStatus>> found = new ArrayList<>();
    for (int i = 0; i < dirs.size(); i++) {
      found.add(new ConcurrentLinkedQueue<>());
    }
    if (!dirs.isEmpty()) {
      new TreeLister(conf, found).run(dirs);
    }
    List<List<FileStatus>> out = new ArrayList<>();
    for (ConcurrentLinkedQueue<FileStatus> q : found) {
      List<FileStatus> files = new ArrayList<>(q);
      files.sort(Comparator.comparing(s -> s.getPath().toString()));
      out.add(files);
    }
    return out;
  }

  /** Lists directory trees on a small thread pool; the first failure stops it and is thrown. */
  private static final class TreeLister {
    private final Configuration conf;
    private final List<ConcurrentLinkedQueue<FileStatus>> found;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<DataException> failure = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private ExecutorService pool;

    TreeLister(Configuration conf, List<ConcurrentLinkedQueue<FileStatus>> found) {
      this.conf = conf;
      this.found = found;
    }

    void run(List<Path> dirs) {
      AtomicInteger n = new AtomicInteger();
      pool = Executors.newFixedThreadPool(Math.min(LIST_THREADS, Math.max(1, dirs.size())), r -> {
        Thread t = new Thread(r, "cnn-spark-list-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      try {
        pending.incrementAndGet(); // held until every directory is submitted, so the count cannot reach 0 early
        for (int i = 0; i < dirs.size(); i++) {
          submit(dirs.get(i), i);
        }
        finish();
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DataException("interrupted while listing " + dirs.get(0).getParent(), e);
      } finally {
        pool.shutdownNow();
      }
      if (failure.get() != null) {
        throw failure.get();
      }
    }

    private void submit(Path dir, int top) {
      pending.incrementAndGet();
      pool.execute(() -> {
        try {
          if (failure.get() == null) {
            for (FileStatus s : fs(dir, conf).listStatus(dir)) {
              if (s.isFile()) {
                found.get(top).add(s);
              } else if (s.isDirectory()) {
                submit(s.getPath(), top);
              }
            }
          }
        } catch (IOException | RuntimeException e) {
          failure.compareAndSet(null, e instanceof DataException d ? d
              : new DataException("cannot list directory " + dir + ": " + e.getMessage(), e));
        } finally {
          finish();
        }
      });
    }

    private void finish() {
      if (pending.decrementAndGet() == 0 || failure.get() != null) {
        done.countDown();
      }
    }
  }

  static boolean hidden(Path p) {
    String name = p.getName();
    return name.startsWith(".") || name.startsWith("_");
  }

  /**
   * A stream positioned at byte {@code offset} of the (decompressed) content. A gzip stream cannot
   * seek, so it is decompressed from the start and the bytes before offset are skipped.
   */
  static InputStream openAt(FileSystem fs, Path path, boolean gzip, long offset) throws IOException {
    FSDataInputStream raw = fs.open(path);
    try {
      if (!gzip) {
        raw.seek(offset);
        return new BufferedInputStream(raw, 1 << 16);
      }
      InputStream in = new BufferedInputStream(new GZIPInputStream(new BufferedInputStream(raw, 1 << 16), 1 << 16),
          1 << 16);
      in.skipNBytes(offset);
      return in;
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /** Whole small file (an encoded image), refusing sizes above {@code max} before allocating. */
  static byte[] readAll(FileSystem fs, Path path, long len, long max) throws IOException, BadRecordException {
    if (len > max) {
      throw new BadRecordException("is " + len + " bytes, more than the " + max + " accepted for one image");
    }
    try (FSDataInputStream in = fs.open(path)) {
      byte[] b = new byte[(int) len];
      in.readFully(0, b);
      return b;
    }
  }
}
