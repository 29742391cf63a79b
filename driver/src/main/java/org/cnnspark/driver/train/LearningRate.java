package org.cnnspark.driver.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.cnnspark.driver.train.LrSchedule.Setting;

/**
 * How the learning rate moves during a run: the rate of every optimizer step, from the
 * optimizer's rate eta (the base), the number of workers W and t = epoch + b / B (b the step
 * within this partition's epoch, 0-based, and B its steps in the epoch, so t means the same
 * whatever W):
 *
 * <pre>
 * s      = min(scaling(W), maxScale)              none: 1, linear: W, sqrt: sqrt(W)
 * rate   = schedule(eta * s, t)                   constant, step (MultiStepLR), cosine (CosineAnnealingLR)
 *        * (t &lt; X ? 1/s + (1 - 1/s) t / X : 1)   warm-up over X epochs (LinearLR from 1/s to 1)
 * </pre>
 *
 * The warm-up multiplies the schedule, as PyTorch's ChainedScheduler of LinearLR and the main
 * scheduler does. All in double; {@link #constant()} (the absent values) gives exactly eta.
 *
 * @param schedule the main schedule (absent: constant)
 * @param milestones epochs at which {@code step} multiplies by gamma, increasing (absent: none)
 * @param gamma {@code step}'s factor, in (0, 1] (absent: 0.1)
 * @param min {@code cosine}'s rate at the end of the run, >= 0 (absent: 0)
 * @param warmupEpochs X >= 0, fractional (absent: 0, no warm-up)
 * @param scaling the rule scaling the rate with W (absent: none)
 * @param maxScale the cap of the scale, in [1, 1024] (absent: 8)
 */
public record LearningRate(LrSchedule schedule, List<Double> milestones, double gamma, double min, double warmupEpochs,
    LrScaling scaling, double maxScale) implements Serializable {
  public static final double GAMMA = 0.1;
  public static final double MAX_SCALE = 8;
  /** Beyond this a scale is a typo, not a setting. */
  public static final double LARGEST_SCALE = 1024;

  public LearningRate {
    milestones = List.copyOf(milestones);
    if (schedule == null || scaling == null) {
      throw new IllegalArgumentException("a learning-rate schedule and scaling rule are required");
    }
    for (int i = 0; i < milestones.size(); i++) {
      double m = milestones.get(i);
      check(Double.isFinite(m) && m > 0, "--lr-milestones must be epochs > 0, got " + m);
      check(i == 0 || m > milestones.get(i - 1), "--lr-milestones must increase, got " + formatMilestones(milestones));
    }
    check(gamma > 0 && gamma <= 1, "--lr-gamma must be in (0, 1], got " + gamma);
    check(min >= 0 && Double.isFinite(min), "--lr-min must be >= 0, got " + min);
    check(warmupEpochs >= 0 && Double.isFinite(warmupEpochs), "--warmup-epochs must be >= 0, got " + warmupEpochs);
    check(maxScale >= 1 && maxScale <= LARGEST_SCALE, "--max-lr-scale must be in [1, " + (int) LARGEST_SCALE + "], got "
        + maxScale);
    // settings the schedule or scaling does not read must keep their absent values: a no-op option is a mistake
    if (schedule.settings().contains(Setting.MILESTONES)) {
      check(!milestones.isEmpty(), "--lr-schedule " + schedule + " needs --lr-milestones (epochs, e.g. 3,4)");
    } else {
      check(milestones.isEmpty(), "--lr-milestones applies to --lr-schedule " + readers(Setting.MILESTONES) + " only");
    }
    check(gamma == GAMMA || schedule.settings().contains(Setting.GAMMA),
        "--lr-gamma applies to --lr-schedule " + readers(Setting.GAMMA) + " only");
    check(min == 0 || schedule.settings().contains(Setting.MIN),
        "--lr-min applies to --lr-schedule " + readers(Setting.MIN) + " only");
    // A warm-up or cap with --lr-scaling none is allowed and does nothing (the ramp goes from 1 to 1, exactly): the
    // defaults give both, and --lr-scaling none alone must then mean the old rate.
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static String readers(Setting setting) {
    return String.join(" or ", LrSchedules.schedules().stream().filter(s -> s.settings().contains(setting))
        .map(LrSchedule::name).toList());
  }

  /** The absent values: the optimizer's rate at every step, as before schedules existed. */
  public static LearningRate constant() {
    return new LearningRate(LrSchedules.CONSTANT, List.of(), GAMMA, 0, 0, LrSchedules.NONE, MAX_SCALE);
  }

  /** By names, as the command line and the Estimator give them; unknown names are refused with the known ones. */
  public static LearningRate of(String schedule, List<Double> milestones, double gamma, double min, double warmupEpochs,
      String scaling, double maxScale) {
    return new LearningRate(LrSchedules.schedule(schedule), milestones, gamma, min, warmupEpochs,
        LrSchedules.scaling(scaling), maxScale);
  }

  /** "3,4.5" as epochs; empty or blank = none. A non-number is refused naming --lr-milestones. */
  public static List<Double> parseMilestones(String text) {
    List<Double> out = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return out;
    }
    for (String part : text.split(",", -1)) {
      try {
        out.add(Double.parseDouble(part.strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--lr-milestones must be epochs separated by commas (e.g. 3,4.5), got '"
            + text + "'");
      }
    }
    return out;
  }

  /** The milestones as --lr-milestones takes them: "3.0,4.5". */
  public static String formatMilestones(List<Double> milestones) {
    return String.join(",", milestones.stream().map(String::valueOf).toList());
  }

  /** True for the absent values (the rate of every step is the optimizer's). */
  public boolean isConstant() {
    return equals(constant());
  }

  /** The settings that need the run's length: refused when the run is shorter. */
  void checkEpochs(int epochs) {
    check(warmupEpochs <= epochs, "--warmup-epochs " + warmupEpochs + " is longer than the run's " + epochs(epochs)
        + " (--epochs)");
    for (double m : milestones) {
      check(m <= epochs, "--lr-milestones " + formatMilestones(milestones) + " go beyond the run's " + epochs(epochs)
          + " (--epochs)");
    }
  }

  /** "1 epoch", "5 epochs". */
  static String epochs(int n) {
    return n + (n == 1 ? " epoch" : " epochs");
  }

  /** The rate's lowest point must be below the optimizer's: a cosine "down" to a higher rate is a mistake. */
  public void checkBase(double base) {
    check(min < base, "--lr-min " + min + " must be below the learning rate " + base + " (--lr)");
  }

  /** s: the scaling rule's factor for {@code workers}, capped. */
  public double scale(int workers) {
    return Math.min(scaling.factor(workers), maxScale);
  }

  /**
   * The rate of a step at t epochs (before the step) in a run of {@code epochs} on {@code workers}
   * partitions, for the optimizer's rate {@code base}.
   */
  public double at(double base, double t, int workers, int epochs) {
    double s = scale(workers);
    double rate = schedule.rate(base * s, t, epochs, this);
    if (t < warmupEpochs) {
      double start = 1 / s;
      rate *= start + (1 - start) * (t / warmupEpochs);
    }
    return rate;
  }

  /** One line for provenance and logs, e.g. "cosine to 0.0 over 5 epochs; warm-up 1.0 epochs; linear scaling, cap 8.0". */
  public String describe(int epochs) {
    StringBuilder s = new StringBuilder(schedule.describe(this, epochs));
    if (warmupEpochs > 0) {
      s.append("; warm-up ").append(warmupEpochs).append(" epochs");
    }
    if (scaling != LrSchedules.NONE) {
      s.append("; ").append(scaling.name()).append(" scaling, cap ").append(maxScale);
    }
    return s.toString();
  }

  /**
   * The settings that differ from the absent values, by the names of train's options (a checkpoint
   * stores them: one written before these options existed has none, and resumes).
   */
  public Map<String, String> givenOptions() {
    LearningRate absent = constant();
    Map<String, String> o = new TreeMap<>();
    if (schedule != absent.schedule) {
      o.put("lr-schedule", schedule.name());
    }
    if (!milestones.isEmpty()) {
      o.put("lr-milestones", formatMilestones(milestones));
    }
    if (gamma != absent.gamma) {
      o.put("lr-gamma", Double.toString(gamma));
    }
    if (min != absent.min) {
      o.put("lr-min", Double.toString(min));
    }
    if (warmupEpochs != absent.warmupEpochs) {
      o.put("warmup-epochs", Double.toString(warmupEpochs));
    }
    if (scaling != absent.scaling) {
      o.put("lr-scaling", scaling.name());
    }
    if (maxScale != absent.maxScale) {
      o.put("max-lr-scale", Double.toString(maxScale));
    }
    return o;
  }
}
