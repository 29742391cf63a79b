package org.cnnspark.driver.train;

import java.util.function.IntFunction;

/**
 * One outer rule, described once: its name (the value of --outer and of the Estimator's outer
 * Param), what it is, and the {@link OuterSgd} settings it gives on W workers. {@link OuterRules}
 * lists the rules by name; a new rule is one instance there.
 */
public final class OuterRule {
  private final String name;
  private final String summary;
  private final IntFunction<OuterSgd> settings;

  OuterRule(String name, String summary, IntFunction<OuterSgd> settings) {
    this.name = name;
    this.summary = summary;
    this.settings = settings;
  }

  /** Lower case. */
  public String name() {
    return name;
  }

  /** Its settings in words, for --help and docs. */
  public String summary() {
    return summary;
  }

  /** The outer SGD settings on {@code workers} partitions (>= 1). */
  public OuterSgd settings(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    }
    return settings.apply(workers);
  }

  @Override
  public String toString() {
    return name;
  }
}
