package org.cnnspark.driver.train;

import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * One shape of the learning rate over a run, described once: its name (the value of
 * {@code --lr-schedule} and of the Estimator's lrSchedule Param), a line for help texts, the
 * settings it reads, and its rate as a function of t, the epochs done (fractional). The shapes
 * are PyTorch's schedulers in closed form; {@link LrSchedules} lists them, {@link LearningRate}
 * adds warm-up and scaling.
 */
public abstract class LrSchedule implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Settings of {@link LearningRate} that only some schedules read. */
  public enum Setting { MILESTONES, GAMMA, MIN }

  private final String name;
  private final String summary;
  private final Set<Setting> settings;

  protected LrSchedule(String name, String summary, Set<Setting> settings) {
    this.name = name;
    this.summary = summary;
    EnumSet<Setting> read = EnumSet.noneOf(Setting.class);
    read.addAll(settings);
    this.settings = Collections.unmodifiableSet(read);
  }

  /** Lower case: the value of --lr-schedule and of the lrSchedule Param. */
  public final String name() {
    return name;
  }

  /** One line for help texts: what the rate does. */
  public final String summary() {
    return summary;
  }

  /** The settings this schedule reads; the others must keep their absent values. */
  public final Set<Setting> settings() {
    return settings;
  }

  /** True when the rate depends on the run's length (then --epochs may not change on --resume). */
  public boolean spansTheRun() {
    return false;
  }

  /**
   * The rate at t epochs into a run of {@code epochs}, from the peak rate (the optimizer's, scaled
   * with the workers); {@code lr} holds the settings this schedule reads.
   */
  public abstract double rate(double peak, double t, int epochs, LearningRate lr);

  /** A short description of this schedule with {@code lr}'s settings, for provenance and logs. */
  public abstract String describe(LearningRate lr, int epochs);

  /** Deserialised (in a task closure) as the registered instance, so that schedules compare by identity. */
  protected Object readResolve() throws ObjectStreamException {
    return LrSchedules.schedule(name);
  }

  @Override
  public String toString() {
    return name;
  }
}
