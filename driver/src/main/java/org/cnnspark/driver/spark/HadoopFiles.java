package org.cnnspark.driver.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.cnnspark.engine.io.AtomicFiles;

/**
 * Files through Hadoop's FileSystem API (file://, hdfs://, s3a://, ...). Single files are written
 * whole or not at all: a temporary sibling, then a rename; an existing file is moved aside only
 * once the new one is complete, and is put back if the rename fails. The driver's Hadoop
 * configuration (including spark.hadoop.* settings such as credentials) travels to the executors
 * as a broadcast of its Writable form.
 */
public final class HadoopFiles {
  private HadoopFiles() {}

  /**
   * The file system of a path; for local paths the raw one, so no {@code .crc} side files appear
   * next to what we write (model files carry their own checksum).
   */
  public static FileSystem fs(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
  }

  public static void write(String file, Configuration conf, AtomicFiles.Writer writer) throws IOException {
    Path target = new Path(file);
    FileSystem fs = fs(target, conf);
    Path parent = target.getParent();
    if (parent != null) {
      fs.mkdirs(parent);
    }
    Path tmp = new Path(parent, "." + target.getName() + ".tmp-" + System.nanoTime());
    try {
      try (OutputStream out = fs.create(tmp, false)) {
        writer.write(out);
      }
      if (fs.exists(target)) {
        if (fs.getFileStatus(target).isDirectory()) {
          throw new IllegalArgumentException(file + " is a directory: give a file name to write");
        }
        Path old = new Path(parent, "." + target.getName() + ".old-" + System.nanoTime());
        if (!fs.rename(target, old)) {
          throw new IOException("could not move the existing " + target + " aside");
        }
        if (!fs.rename(tmp, target)) {
          fs.rename(old, target);
          throw new IOException("could not rename " + tmp + " to " + target);
        }
        fs.delete(old, false);
      } else if (!fs.rename(tmp, target)) {
        throw new IOException("could not rename " + tmp + " to " + target);
      }
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, false);
      }
    }
  }

  /** Opens an existing file; {@code what} names it (and the option that gave it) in the error. */
  public static InputStream open(String file, Configuration conf, String what) throws IOException {
    Path p = new Path(file);
    try {
      FileSystem fs = fs(p, conf);
      if (fs.getFileStatus(p).isDirectory()) {
        throw new IllegalArgumentException(what + " " + file + " is a directory, not a file");
      }
      return fs.open(p);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(what + " " + file + " does not exist: check the path");
    }
  }

  public static boolean isDirectory(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    FileSystem fs = fs(p, conf);
    return fs.exists(p) && fs.getFileStatus(p).isDirectory();
  }

  public static boolean exists(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    return fs(p, conf).exists(p);
  }

  /** The driver's Hadoop configuration, broadcast for the executors (read back with {@link #conf}). */
  public static Broadcast<byte[]> broadcastConf(JavaSparkContext jsc) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        jsc.hadoopConfiguration().write(out);
      }
      return jsc.broadcast(bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Configuration conf(Broadcast<byte[]> broadcast) {
    Configuration conf = new Configuration(false);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(broadcast.value()))) {
      conf.readFields(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return conf;
  }
}
