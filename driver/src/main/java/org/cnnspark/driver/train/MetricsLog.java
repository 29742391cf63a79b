package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The rounds' metrics as a run goes, kept by listening: the metrics.jsonl lines (a resumed run's
 * earlier lines first) and the last round, whose test accuracy the provenance records.
 */
public final class MetricsLog implements RoundListener {
  private final List<String> lines;
  private RoundMetrics last;

  /** @param earlier the lines of the rounds before this run (a checkpoint's), oldest first */
  public MetricsLog(List<String> earlier) {
    lines = new ArrayList<>(earlier);
    last = earlier.isEmpty() ? null : RoundMetrics.fromJson(earlier.get(earlier.size() - 1));
  }

  @Override
  public void onRound(RoundMetrics metrics, TrainState after) {
    lines.add(metrics.toJson());
    last = metrics;
  }

  /** Every round so far as a metrics.jsonl line, oldest first. */
  public List<String> lines() {
    return lines;
  }

  /** The latest round, or null before the first. */
  public RoundMetrics last() {
    return last;
  }
}
