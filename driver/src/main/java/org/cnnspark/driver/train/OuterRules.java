package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The outer rules by name: the one list a new rule is added to. */
public final class OuterRules {
  /** Today's rounds: the workers' weighted average (outer SGD with lr 1, no momentum), bit for bit. */
  public static final OuterRule AVERAGE = new OuterRule("average", "lr 1, momentum 0: the workers' average",
      w -> new OuterSgd(1, 0, false));
  /** Blockwise model-update filtering (Chen & Huo 2016): block momentum 1 - 1/W, Nesterov; plain averaging at W = 1. */
  public static final OuterRule BMUF = new OuterRule("bmuf", "lr 1, momentum 1 - 1/W, Nesterov (plain averaging at W = 1)",
      w -> new OuterSgd(1, 1 - 1.0 / w, true));
  /**
   * Nesterov momentum 0.5 on the rounds' changes, plain averaging at W = 1. Unlike BMUF's 1 - 1/W
   * it does not grow with W, where linear scaling already multiplies the rate by W.
   */
  public static final OuterRule MOMENTUM = new OuterRule("momentum", "lr 1, momentum 0.5, Nesterov (plain averaging at "
      + "W = 1)", w -> new OuterSgd(1, w == 1 ? 0 : 0.5, true));
  /** DiLoCo's outer optimizer (Douillard et al. 2023), with SGD's Nesterov momentum. */
  public static final OuterRule DILOCO = new OuterRule("diloco", "lr 0.7, momentum 0.9, Nesterov",
      w -> new OuterSgd(0.7, 0.9, true));

  private static final List<OuterRule> RULES = List.of(AVERAGE, MOMENTUM, BMUF, DILOCO);

  private OuterRules() {}

  /** Every rule, in the order help texts list them. */
  public static List<OuterRule> all() {
    return RULES;
  }

  /** The rule of this name (any case), if there is one. */
  public static Optional<OuterRule> find(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return RULES.stream().filter(r -> r.name().equals(n)).findFirst();
  }

  /** The rule of this name (any case); an unknown name is refused with the known ones. */
  public static OuterRule get(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException("--outer must be " + names() + ", got '" + name
        + "'"));
  }

  /** Every rule's name, as "a, b or c". */
  public static String names() {
    List<String> n = new ArrayList<>(RULES.stream().map(OuterRule::name).toList());
    String last = n.remove(n.size() - 1);
    return n.isEmpty() ? last : String.join(", ", n) + " or " + last;
  }
}
