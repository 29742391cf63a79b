package org.cnnspark.driver.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.engine.io.ModelFile;

/**
 * A trained model's directory, on any Hadoop file system (file://, hdfs://, s3a://):
 * {@code model.cnn} (the engine's model file) and {@code metrics.jsonl} (one JSON line per round).
 * Written whole into a temporary sibling directory, then renamed into place, so an existing model
 * is never replaced by a half-written one. Its {@code checkpoints} sub-directory ({@link Checkpoints})
 * is kept.
 */
public final class ModelDir {
  public static final String MODEL = "model.cnn";
  public static final String METRICS = "metrics.jsonl";
  /** Bound on metrics.jsonl, read whole: some 200,000 rounds of metrics lines. */
  static final long MAX_METRICS_BYTES = 64L << 20;

  private ModelDir() {}

  public static void write(String dir, ModelFile model, List<String> metricLines, Configuration conf) throws IOException {
    Path target = new Path(dir);
    FileSystem fs = HadoopFiles.fs(target, conf);
    Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + System.nanoTime());
    try {
      try (OutputStream out = fs.create(new Path(tmp, MODEL), false)) {
        model.write(out);
      }
      try (OutputStream out = fs.create(new Path(tmp, METRICS), false)) {
        for (String line : metricLines) {
          out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
      }
      Path old = new Path(target.getParent(), "." + target.getName() + ".old-" + System.nanoTime());
      boolean hadOld = fs.exists(target);
      if (hadOld && !fs.rename(target, old)) {
        throw new IOException("could not move the existing " + target + " aside; the new model is in " + tmp);
      }
      if (!fs.rename(tmp, target)) {
        if (hadOld) {
          fs.rename(old, target); // the old model goes back: never no model where there was one
        }
        throw new IOException("could not rename " + tmp + " to " + target);
      }
      if (hadOld) {
        // checkpoints outlive the model they led to: train --resume --epochs N continues from them
        Path checkpoints = new Path(old, Checkpoints.DIR);
        if (fs.exists(checkpoints)) {
          fs.rename(checkpoints, new Path(target, Checkpoints.DIR));
        }
        fs.delete(old, true);
      }
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, true);
      }
    }
  }

  /** The metrics lines of a model directory, or none when it has no metrics file. */
  public static List<String> readMetrics(String dir, Configuration conf) throws IOException {
    Path p = new Path(dir, METRICS);
    FileSystem fs = HadoopFiles.fs(p, conf);
    if (!fs.exists(p)) {
      return List.of();
    }
    long len = fs.getFileStatus(p).getLen();
    if (len > MAX_METRICS_BYTES) { // a line per round is a few hundred bytes: this is not our file
      throw new IllegalArgumentException(p + " is " + len + " bytes, more than the " + MAX_METRICS_BYTES
          + " a metrics file of cnn-spark can be: it is corrupt or not from cnn-spark");
    }
    try (var in = fs.open(p)) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }
  }

  public static ModelFile read(String dir, Configuration conf) throws IOException {
    Path p = new Path(dir, MODEL);
    FileSystem fs = HadoopFiles.fs(p, conf);
    if (!fs.exists(p)) {
      throw new IllegalArgumentException("no model at " + dir + ": expected " + p + " (written by 'cnn-spark train --out')");
    }
    try (var in = fs.open(p)) {
      return ModelFile.read(in, p.toString());
    }
  }
}
