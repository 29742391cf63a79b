package org.cnnspark.driver.data;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
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
