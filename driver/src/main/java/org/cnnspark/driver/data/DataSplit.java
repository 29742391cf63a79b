package org.cnnspark.driver.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How a dataset's records go to its W partitions, described once: the value of the train
 * command's --split, of the Estimator's split Param and of {@link DataOptions#split()}. Under
 * every split a partition holds its records in global index order (so unshuffled training still
 * visits them in file order), and partition p holds as many records as under the others (the
 * first count % W partitions one more); the splits differ only in which records those are.
 */
public enum DataSplit {
  /** Today's layout, and the one test, evaluation and prediction data always take: no shuffle. */
  CONTIGUOUS("contiguous", "worker p takes the p-th range of records, in file order") {
    @Override
    Assignment assignment(long n, int w, long seed) {
      return new Assignment.Contiguous(n, w);
    }
  },
  /**
   * Every run of W consecutive records gives one record to each partition, in an order drawn from
   * the seed: class-sorted data (image folders, a table sorted by label) reaches every worker in
   * the whole set's proportions.
   */
  MIXED("mixed", "each run of W records gives one to each worker, in a seeded order") {
    @Override
    Assignment assignment(long n, int w, long seed) {
      return new Assignment.Mixed(n, w, seed);
    }
  };

  private final String value;
  private final String description;

  DataSplit(String value, String description) {
    this.value = value;
    this.description = description;
  }

  /** Lower case, as --split and the split Param take it. */
  public String value() {
    return value;
  }

  /** A short phrase for help texts (W = the number of workers). */
  public String description() {
    return description;
  }

  /** Where each of n records goes among w partitions; seed matters only to a seeded split. */
  abstract Assignment assignment(long n, int w, long seed);

  /** The split of this value (any case), if there is one. */
  public static Optional<DataSplit> find(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(s -> s.value.equals(v)).findFirst();
  }

  /** Every split's value, joined by {@code separator}. */
  public static String names(String separator) {
    return String.join(separator, Arrays.stream(values()).map(DataSplit::value).toList());
  }

  @Override
  public String toString() {
    return value;
  }
}
