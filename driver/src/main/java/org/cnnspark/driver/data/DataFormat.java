package org.cnnspark.driver.data;

import org.apache.spark.sql.SparkSession;

/**
 * One data format, described once: its name (--format, {@link DataOptions#format()}), how a path
 * is recognised as it when no format is given, and how it loads. {@link DataFormats} lists the
 * formats; detection asks them in that order: file names first, then a file's first bytes, then
 * (for a directory without a recognised file) sub-folders.
 */
public abstract class DataFormat {
  /** Bytes of a file's start that {@link #matchesContent} sees. */
  public static final int HEAD_BYTES = 4;

  private final String name;

  protected DataFormat(String name) {
    this.name = name;
  }

  /** Lower case, as --format takes it. */
  public final String name() {
    return name;
  }

  /** Whether a file of this name is in this format; a directory is in the format of its first such file. */
  public boolean matchesName(String fileName) {
    return false;
  }

  /** Whether a file starting with these {@link #HEAD_BYTES} bytes is in this format (asked when no name matched). */
  public boolean matchesContent(byte[] head) {
    return false;
  }

  /** Whether a directory with sub-folders, and no file whose name a format matches, is in this format. */
  public boolean matchesFolders() {
    return false;
  }

  /** Reads the data at options.path() into options.partitions() partitions (see {@link LoadedData}). */
  public abstract LoadedData load(SparkSession spark, DataOptions options);

  @Override
  public String toString() {
    return name;
  }
}
