package org.cnnspark.driver.train;

import java.util.Locale;

/**
 * How a round's partition results are summed. Every mode gives the same bits (each value is summed
 * in partition order in double either way); they differ in where the bytes go.
 * <ul>
 *   <li>{@code collect}: every partition's parameters and optimizer state come to the driver, which
 *       sums them: the driver receives W x B bytes a round (B = 4 x (parameters + state)).
 *   <li>{@code shuffle}: each result is cut into shards that Spark's shuffle brings to one reduce
 *       task per shard; the driver receives the averaged vector once, about B bytes.
 *   <li>{@code auto} (the default): shuffle when W x B exceeds {@link #AUTO_BYTES}, else collect.
 * </ul>
 */
public enum ReduceMode {
  AUTO, COLLECT, SHUFFLE;

  /** The Spark setting that chooses the mode. */
  public static final String CONF = "spark.cnnspark.reduce";
  /** Above this many bytes of results a round, {@code auto} reduces on the executors. */
  public static final long AUTO_BYTES = 64L << 20;

  /** Whether a round on {@code workers} partitions of {@code bytesPerResult} each goes through the shuffle. */
  public boolean sharded(int workers, long bytesPerResult) {
    return switch (this) {
      case COLLECT -> false;
      case SHUFFLE -> true;
      case AUTO -> workers > 1 && workers * bytesPerResult > AUTO_BYTES;
    };
  }

  /** "auto", "collect" or "shuffle", as the option takes it. */
  public String text() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses --reduce's value; {@code option} names the option or Param in the error. */
  public static ReduceMode parse(String text, String option) {
    for (ReduceMode m : values()) {
      if (m.text().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException(option + " takes auto, collect or shuffle (auto: through Spark's shuffle when "
        + "the workers' results exceed 64 MB a round), got '" + text + "'");
  }
}
