package org.cnnspark.engine.optim;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.cnnspark.engine.optim.OptimizerConfig.Setting;

/**
 * One kind of optimizer, described once: its name, the settings it reads and their defaults,
 * the state it keeps and how it is built. {@link Optimizers} lists the kinds by name; the model
 * file, the engine spec, the command line, the Estimator and the report all go through it, so a
 * new kind is its {@link Optimizer} subclass holding its description, and one line in that list.
 */
public abstract class OptimizerType {
  private final String name;
  private final Set<Setting> settings;

  protected OptimizerType(String name, Setting first, Setting... rest) {
    this.name = name;
    this.settings = Collections.unmodifiableSet(EnumSet.of(first, rest));
  }

  /** Lower case: the value of --optimizer, of the Estimator's optimizer Param and of a model file's "type". */
  public final String name() {
    return name;
  }

  /** The settings {@link Optimizer#step} reads, in {@link Setting} order; the others keep their defaults. */
  public final Set<Setting> settings() {
    return settings;
  }

  /** PyTorch's defaults (for SGD, momentum 0.9 is cnn-spark's): what settings not given become. */
  public abstract OptimizerConfig defaults();

  /** Floats of state per trainable parameter (momentum buffer, moments). */
  public abstract int stateFloatsPerParam(OptimizerConfig config);

  /** A fresh optimizer (zero state, no steps) over {@code size} trainable parameters. */
  public abstract Optimizer create(OptimizerConfig config, int size);

  @Override
  public String toString() {
    return name;
  }
}
