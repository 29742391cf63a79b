package org.cnnspark.driver.train;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.cnnspark.driver.train.LrSchedule.Setting;

/**
 * The learning-rate schedules and scaling rules by name: the one list a new one is added to. The
 * schedules are PyTorch's, in closed form over t = epochs done (fractional): constant,
 * MultiStepLR (step) and CosineAnnealingLR (cosine, T_max = the run's epochs).
 */
public final class LrSchedules {
  /** The base rate throughout (no scheduler): the absent value. */
  public static final LrSchedule CONSTANT = new LrSchedule("constant", "the rate stays the same",
      EnumSet.noneOf(Setting.class)) {
    private static final long serialVersionUID = 1L;

    @Override
    public double rate(double peak, double t, int epochs, LearningRate lr) {
      return peak;
    }

    @Override
    public String describe(LearningRate lr, int epochs) {
      return "constant";
    }
  };

  /** MultiStepLR: times gamma at each milestone reached (t >= milestone), milestones in epochs. */
  public static final LrSchedule STEP = new LrSchedule("step", "times --lr-gamma at each of --lr-milestones (epochs)",
      EnumSet.of(Setting.MILESTONES, Setting.GAMMA)) {
    private static final long serialVersionUID = 1L;

    @Override
    public double rate(double peak, double t, int epochs, LearningRate lr) {
      double rate = peak;
      for (double m : lr.milestones()) {
        if (t >= m) {
          rate *= lr.gamma(); // one multiplication per milestone, as MultiStepLR's steps
        }
      }
      return rate;
    }

    @Override
    public String describe(LearningRate lr, int epochs) {
      return "step: times " + lr.gamma() + " at epochs " + LearningRate.formatMilestones(lr.milestones());
    }
  };

  /** CosineAnnealingLR's closed form: min + (peak - min) (1 + cos(pi t / epochs)) / 2. */
  public static final LrSchedule COSINE = new LrSchedule("cosine", "half a cosine from the rate down to --lr-min at the"
      + " end of the last epoch", EnumSet.of(Setting.MIN)) {
    private static final long serialVersionUID = 1L;

    @Override
    public double rate(double peak, double t, int epochs, LearningRate lr) {
      return lr.min() + (peak - lr.min()) * (1 + Math.cos(Math.PI * t / epochs)) / 2;
    }

    @Override
    public boolean spansTheRun() {
      return true;
    }

    @Override
    public String describe(LearningRate lr, int epochs) {
      return "cosine to " + lr.min() + " over " + LearningRate.epochs(epochs);
    }
  };

  /** No scaling: the absent value. */
  public static final LrScaling NONE = new LrScaling("none", "the rate of one worker, whatever W") {
    private static final long serialVersionUID = 1L;

    @Override
    public double factor(int workers) {
      return 1;
    }
  };

  /** Goyal et al. 2017: W workers take W times fewer steps each, so each step goes W times as far. */
  public static final LrScaling LINEAR = new LrScaling("linear", "times W") {
    private static final long serialVersionUID = 1L;

    @Override
    public double factor(int workers) {
      return workers;
    }
  };

  /** The milder rule for adaptive optimizers (the noise of a W times larger batch falls by sqrt(W)). */
  public static final LrScaling SQRT = new LrScaling("sqrt", "times the square root of W") {
    private static final long serialVersionUID = 1L;

    @Override
    public double factor(int workers) {
      return Math.sqrt(workers);
    }
  };

  private static final List<LrSchedule> SCHEDULES = List.of(CONSTANT, STEP, COSINE);
  private static final List<LrScaling> SCALINGS = List.of(NONE, LINEAR, SQRT);

  private LrSchedules() {}

  /** Every schedule, in the order help texts list them. */
  public static List<LrSchedule> schedules() {
    return SCHEDULES;
  }

  /** Every scaling rule, in the order help texts list them. */
  public static List<LrScaling> scalings() {
    return SCALINGS;
  }

  /** The schedule of this name (any case), if there is one. */
  public static Optional<LrSchedule> findSchedule(String name) {
    return find(SCHEDULES, LrSchedule::name, name);
  }

  /** The scaling rule of this name (any case), if there is one. */
  public static Optional<LrScaling> findScaling(String name) {
    return find(SCALINGS, LrScaling::name, name);
  }

  /** The schedule of this name (any case); an unknown name is refused with the known ones. */
  public static LrSchedule schedule(String name) {
    return findSchedule(name).orElseThrow(() -> new IllegalArgumentException("--lr-schedule must be "
        + names(SCHEDULES, LrSchedule::name) + ", got '" + name + "'"));
  }

  /** The scaling rule of this name (any case); an unknown name is refused with the known ones. */
  public static LrScaling scaling(String name) {
    return findScaling(name).orElseThrow(() -> new IllegalArgumentException("--lr-scaling must be "
        + names(SCALINGS, LrScaling::name) + ", got '" + name + "'"));
  }

  /** Every schedule's name, as "a, b or c". */
  public static String scheduleNames() {
    return names(SCHEDULES, LrSchedule::name);
  }

  /** Every scaling rule's name, as "a, b or c". */
  public static String scalingNames() {
    return names(SCALINGS, LrScaling::name);
  }

  private static <T> Optional<T> find(List<T> all, Function<T, String> nameOf, String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return all.stream().filter(x -> nameOf.apply(x).equals(n)).findFirst();
  }

  private static <T> String names(List<T> all, Function<T, String> nameOf) {
    List<String> n = new ArrayList<>(all.stream().map(nameOf).toList());
    String last = n.remove(n.size() - 1);
    return n.isEmpty() ? last : String.join(", ", n) + " or " + last;
  }
}
