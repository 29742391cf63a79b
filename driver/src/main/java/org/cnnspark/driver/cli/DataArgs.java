package org.cnnspark.driver.cli;

import java.util.Iterator;
import org.cnnspark.driver.data.DataFormat;
import org.cnnspark.driver.data.DataFormats;
import org.cnnspark.driver.data.DataOptions;
import org.cnnspark.engine.Shape;
import picocli.CommandLine.Option;

/** Options that say how to read a dataset, shared by train, evaluate and predict. */
public final class DataArgs {
  @Option(names = "--data", required = true, paramLabel = "PATH",
      description = "Data: an IDX images file (*-images-idx3-ubyte[.gz]), CIFAR-10 .bin batches (file, directory or glob), "
          + "an image folder (one sub-folder per class) or a Parquet table; any Hadoop path (file://, hdfs://, s3a://).")
  String data;

  @Option(names = "--labels", paramLabel = "PATH",
      description = "IDX labels file (default: the sibling of --data with labels-idx1 in place of images-idx3).")
  String labels;

  @Option(names = "--format", paramLabel = "FORMAT", completionCandidates = FormatNames.class,
      description = "${COMPLETION-CANDIDATES} (default: detected from the path).")
  String format;

  @Option(names = "--image-col", paramLabel = "NAME", description = "Image column of a Parquet table (default: image).")
  String imageCol;

  @Option(names = "--label-col", paramLabel = "NAME", description = "Label column of a Parquet table (default: label).")
  String labelCol;

  @Option(names = "--resize",
      description = "Convert images whose shape differs from the input shape (bilinear resize, gray <-> RGB) instead of failing.")
  boolean resize;

  @Option(names = "--skip-bad-records",
      description = "Skip records that do not decode or have a bad label, and report how many (default: fail on the first).")
  boolean skipBadRecords;

  /** Options for reading {@code path} (this command's --data, or another path in the same format). */
  DataOptions options(String path, String labelsPath, int partitions, Shape shape) {
    DataOptions o = DataOptions.of(path, partitions).withSkipBadRecords(skipBadRecords).withColumns(imageCol, labelCol);
    if (labelsPath != null) {
      o = o.withLabelsPath(labelsPath);
    }
    if (format != null) {
      o = o.withFormat(format);
    }
    if (shape != null || resize) { // without a shape, --resize fits images to the first one's
      o = o.withInputShape(shape, resize);
    }
    return o;
  }

  /** The registered data format names, for --format's help. */
  static final class FormatNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return DataFormats.all().stream().map(DataFormat::name).iterator();
    }
  }
}
