package org.cnnspark.driver.data;

import java.util.List;
import org.cnnspark.engine.Shape;

/**
 * What to load and how.
 *
 * @param path images: an IDX images file, a CIFAR-10 .bin file / directory / glob, an image folder
 *     root (one sub-folder per class), or a Parquet table; any Hadoop FileSystem URI. For
 *     {@link Datasets#fromDataFrame} only a name used in messages (may be null)
 * @param labelsPath IDX labels file; null = the images file name with {@code labels-idx1} in place
 *     of {@code images-idx3}
 * @param format a {@link DataFormats} name (idx, cifar, images, parquet, ...); null = detect from the path
 * @param inputShape the shape the model wants; null = take it from the data
 * @param resize when the data's shape differs from inputShape: true = convert (bilinear resize,
 *     gray <-> RGB), false = fail with a message
 * @param partitions W >= 1, the number of partitions (workers) of the result
 * @param imageCol image column of a Parquet table or DataFrame; null = "image"
 * @param labelCol label column of a Parquet table or DataFrame; null = "label"
 * @param classNames a fixed class -> index map (e.g. from a trained model): for image folders
 *     it maps folder names to indices (null = the sorted sub-folder names); for every format it
 *     fixes the number of classes, labels must lie below it, and the result carries the names
 * @param skipBadRecords drop records that do not decode or have a bad label, and count them,
 *     instead of failing; broken files (truncated, wrong magic) always fail
 * @param numClasses the expected number of classes, 0 = from the data; labels must lie in
 *     [0, numClasses)
 * @param labelsOptional true = data without labels is accepted (labels -1), e.g. for prediction;
 *     false = a missing labels file, label column or class folder is an error
 * @param split which records go to which partition; null = {@link DataSplit#CONTIGUOUS}, what
 *     every constructor without this parameter means
 * @param splitSeed the seed of a seeded split (training takes its own seed); ignored by the others
 * @param shuffleBuffer 0 = each worker's records are one Spark partition (absent, the default);
 *     N > 0 = they are kept as chunks of about N / 4 records, each a Spark partition, so that
 *     training can stream them with a shuffle buffer of N records ({@link Chunks})
 */
public record DataOptions(String path, String labelsPath, String format, Shape inputShape, boolean resize,
    int partitions, String imageCol, String labelCol, List<String> classNames, boolean skipBadRecords,
    int numClasses, boolean labelsOptional, DataSplit split, long splitSeed, int shuffleBuffer) {

  public DataOptions {
    if (shuffleBuffer < 0) {
      throw new DataException("the shuffle buffer must be >= 0 records (0 = none), got " + shuffleBuffer);
    }
    split = split == null ? DataSplit.CONTIGUOUS : split;
    if (format != null) {
      format = DataFormats.get(format).name();
    }
    if (partitions < 1) {
      throw new DataException("the number of partitions (workers) must be at least 1, got " + partitions);
    }
    imageCol = imageCol == null ? "image" : imageCol;
    labelCol = labelCol == null ? "label" : labelCol;
    if (classNames != null) {
      classNames = List.copyOf(classNames);
      if (classNames.isEmpty()) {
        throw new DataException("the class list is empty: give at least one class name, or none to use the folder names");
      }
      if (numClasses != 0 && numClasses != classNames.size()) {
        throw new DataException("numClasses " + numClasses + " does not match the " + classNames.size()
            + " class names " + classNames);
      }
    }
    if (numClasses < 0) {
      throw new DataException("numClasses must be >= 0 (0 = from the data), got " + numClasses);
    }
  }

  /** The number of classes the options fix: classNames.size(), else numClasses (0 = from the data). */
  public int expectedClasses() {
    return classNames != null ? classNames.size() : numClasses;
  }

  /** The given class names, or an empty list. */
  public List<String> classNamesOrEmpty() {
    return classNames != null ? classNames : List.of();
  }

  /** The fields before the split; contiguous partitions. */
  public DataOptions(String path, String labelsPath, String format, Shape inputShape, boolean resize,
      int partitions, String imageCol, String labelCol, List<String> classNames, boolean skipBadRecords,
      int numClasses, boolean labelsOptional) {
    this(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, classNames, skipBadRecords,
        numClasses, labelsOptional, DataSplit.CONTIGUOUS, 0, 0);
  }

  /** The ten fields the training code uses; numClasses from the data, labels required, contiguous partitions. */
  public DataOptions(String path, String labelsPath, String format, Shape inputShape, boolean resize,
      int partitions, String imageCol, String labelCol, List<String> classNames, boolean skipBadRecords) {
    this(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skipBadRecords, 0, false);
  }

  /** Defaults for everything but the path and the number of partitions (contiguous ones). */
  public static DataOptions of(String path, int partitions) {
    return new DataOptions(path, null, null, null, false, partitions, null, null, null, false, 0, false);
  }

  public DataOptions withLabelsPath(String labels) {
    return new DataOptions(path, labels, format, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skipBadRecords, numClasses, labelsOptional, split, splitSeed, shuffleBuffer);
  }

  public DataOptions withFormat(String f) {
    return new DataOptions(path, labelsPath, f, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skipBadRecords, numClasses, labelsOptional, split, splitSeed, shuffleBuffer);
  }

  public DataOptions withInputShape(Shape shape, boolean resizeToIt) {
    return new DataOptions(path, labelsPath, format, shape, resizeToIt, partitions, imageCol, labelCol, classNames,
        skipBadRecords, numClasses, labelsOptional, split, splitSeed, shuffleBuffer);
  }

  public DataOptions withColumns(String image, String label) {
    return new DataOptions(path, labelsPath, format, inputShape, resize, partitions, image, label, classNames,
        skipBadRecords, numClasses, labelsOptional, split, splitSeed, shuffleBuffer);
  }

  public DataOptions withClassNames(List<String> names) {
    return new DataOptions(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, names,
        skipBadRecords, numClasses, labelsOptional, split, splitSeed, shuffleBuffer);
  }

  public DataOptions withSkipBadRecords(boolean skip) {
    return new DataOptions(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skip, numClasses, labelsOptional, split, splitSeed, shuffleBuffer);
  }

  public DataOptions withNumClasses(int k) {
    return new DataOptions(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skipBadRecords, k, labelsOptional, split, splitSeed, shuffleBuffer);
  }

  public DataOptions withLabelsOptional(boolean optional) {
    return new DataOptions(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skipBadRecords, numClasses, optional, split, splitSeed, shuffleBuffer);
  }

  /** The same options with records split over the partitions by {@code s}, seeded by {@code seed}. */
  public DataOptions withSplit(DataSplit s, long seed) {
    return new DataOptions(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skipBadRecords, numClasses, labelsOptional, s, seed, shuffleBuffer);
  }

  /** The same options with the records kept in chunks for a shuffle buffer of {@code records} (0 = not). */
  public DataOptions withShuffleBuffer(int records) {
    return new DataOptions(path, labelsPath, format, inputShape, resize, partitions, imageCol, labelCol, classNames,
        skipBadRecords, numClasses, labelsOptional, split, splitSeed, records);
  }

  /**
   * How many partitions a format reads n records of this shape into: W, or with a shuffle buffer
   * enough that none holds more than a chunk's worth (a decoding task keeps its partition in memory).
   */
  int readPartitions(long n, Shape shape) {
    if (shuffleBuffer == 0) {
      return partitions;
    }
    long chunk = Chunks.chunkRecords(shuffleBuffer, shape.size());
    return (int) Math.min(Integer.MAX_VALUE / 2, Math.max(partitions, (n + chunk - 1) / chunk));
  }
}
