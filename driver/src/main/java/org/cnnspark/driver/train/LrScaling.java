package org.cnnspark.driver.train;

import java.io.ObjectStreamException;
import java.io.Serializable;

/**
 * One rule for scaling the learning rate with the number of workers W (the training data's
 * partitions), described once: its name (the value of {@code --lr-scaling} and of the lrScaling
 * Param), a line for help texts and its factor. {@link LearningRate} caps the factor;
 * {@link LrSchedules} lists the rules.
 */
public abstract class LrScaling implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final String summary;

  protected LrScaling(String name, String summary) {
    this.name = name;
    this.summary = summary;
  }

  /** Lower case: the value of --lr-scaling and of the lrScaling Param. */
  public final String name() {
    return name;
  }

  /** One line for help texts. */
  public final String summary() {
    return summary;
  }

  /** The factor for {@code workers} partitions, before the cap; 1 for one worker. */
  public abstract double factor(int workers);

  /** Deserialised (in a task closure) as the registered instance, so that rules compare by identity. */
  protected Object readResolve() throws ObjectStreamException {
    return LrSchedules.scaling(name);
  }

  @Override
  public String toString() {
    return name;
  }
}
