package org.cnnspark.engine.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cnnspark.engine.optim.OptimizerConfig.Setting;

/** The optimizer types by name: the one list a new type is added to. */
public final class Optimizers {
  private static final List<OptimizerType> TYPES = List.of(Sgd.TYPE, Adam.TYPE, AdamW.TYPE);

  private Optimizers() {}

  /** Every type, in the order help texts list them. */
  public static List<OptimizerType> all() {
    return TYPES;
  }

  /** The type of this name (any case), if there is one. */
  public static Optional<OptimizerType> find(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return TYPES.stream().filter(t -> t.name().equals(n)).findFirst();
  }

  /** The type of this name (any case); an unknown name is refused with the known ones. */
  public static OptimizerType get(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException("unknown optimizer '" + name + "': use "
        + names(TYPES)));
  }

  /** The names of the types that read {@code setting}, as "a", "a or b", "a, b or c". */
  public static String namesUsing(Setting setting) {
    return names(TYPES.stream().filter(t -> t.settings().contains(setting)).toList());
  }

  /** Every type's name, as "a", "a or b", "a, b or c". */
  public static String names() {
    return names(TYPES);
  }

  private static String names(List<OptimizerType> types) {
    List<String> n = new ArrayList<>(types.stream().map(OptimizerType::name).toList());
    String last = n.remove(n.size() - 1);
    return n.isEmpty() ? last : String.join(", ", n) + " or " + last;
  }
}
