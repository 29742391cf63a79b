package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The outer update a run asks for: a rule by name and the settings given over it (null = the
 * rule's), resolved on the run's W workers by {@link #settings}. {@link #ABSENT} is what a run
 * without outer options gets: the workers' average, as before outer rules existed.
 *
 * @param rule a registered {@link OuterRule}'s name (any case; kept in its registered form)
 */
public record OuterConfig(String rule, Double lr, Double momentum, Boolean nesterov) implements java.io.Serializable {
  public static final OuterConfig ABSENT = new OuterConfig(OuterRules.AVERAGE.name(), null, null, null);

  public OuterConfig {
    rule = OuterRules.get(rule).name();
    // the range checks of the settings given, before any worker count is known
    new OuterSgd(lr == null ? 1 : lr, momentum == null ? 0 : momentum, false);
  }

  /** The rule's settings on {@code workers} partitions, with those given in place. */
  public OuterSgd settings(int workers) {
    OuterSgd base = OuterRules.get(rule).settings(workers);
    return new OuterSgd(lr != null ? lr : base.lr(), momentum != null ? momentum : base.momentum(),
        nesterov != null ? nesterov : base.nesterov());
  }

  /** True for the absent value: no rule other than average, no setting given. */
  public boolean isAbsent() {
    return equals(ABSENT);
  }

  /** "diloco", or "bmuf with lr 0.5": the rule and the settings given over it. */
  public String describe() {
    List<String> given = new ArrayList<>();
    if (lr != null) {
      given.add("lr " + lr);
    }
    if (momentum != null) {
      given.add("momentum " + momentum);
    }
    if (nesterov != null) {
      given.add("nesterov " + nesterov);
    }
    return rule + (given.isEmpty() ? "" : " with " + String.join(", ", given));
  }
}
