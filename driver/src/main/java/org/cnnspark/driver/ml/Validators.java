package org.cnnspark.driver.ml;

import java.io.Serializable;
import org.cnnspark.driver.data.DataSplit;
import org.cnnspark.driver.train.LrSchedules;
import org.cnnspark.driver.train.OuterRules;
import org.cnnspark.driver.train.TrainConfig;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.optim.Optimizers;
import scala.runtime.AbstractFunction1;

/** Param validators that Spark's ParamValidators lack; Serializable because Params travel with the stages. */
final class Validators {
  private Validators() {}

  /** True when {@code parse} takes the value: it throws IllegalArgumentException on one it refuses. */
  private static boolean parses(Runnable parse) {
    try {
      parse.run();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** A spec string the engine parses. */
  static final class Architecture extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return parses(() -> ModelSpec.parse(s));
    }
  }

  /** Empty (take it from the data) or CxHxW. */
  static final class InputShape extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return s.isEmpty() || parses(() -> Shape.parse(s));
    }
  }

  /** A normalisation as --normalize takes it (none, imagenet, mean=...,std=...). */
  static final class Normalize extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return parses(() -> org.cnnspark.engine.Normalization.parse(s));
    }
  }

  /** An augmentation as --augment takes it (none, crop=PAD, flip). */
  static final class Augment extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return parses(() -> org.cnnspark.engine.Augmentation.parse(s));
    }
  }

  /** A registered optimizer name. */
  static final class Optimizer extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return Optimizers.find(s).isPresent();
    }
  }

  /** A split's name (contiguous, mixed). */
  static final class Split extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return DataSplit.find(s).isPresent();
    }
  }

  /** A registered learning-rate schedule name. */
  static final class LrSchedule extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return LrSchedules.findSchedule(s).isPresent();
    }
  }

  /** A registered learning-rate scaling rule name. */
  static final class LrScaling extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return LrSchedules.findScaling(s).isPresent();
    }
  }

  /** Milestones in epochs: finite, > 0, increasing (empty = none). */
  static final class Milestones extends AbstractFunction1<double[], Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(double[] epochs) {
      for (int i = 0; i < epochs.length; i++) {
        if (!(Double.isFinite(epochs[i]) && epochs[i] > 0 && (i == 0 || epochs[i] > epochs[i - 1]))) {
          return false;
        }
      }
      return true;
    }
  }

  /** A registered outer rule name. */
  static final class Outer extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return OuterRules.find(s).isPresent();
    }
  }

  /** Only the value a result Param was made with (arrays compared element by element): results are read, not set. */
  static final class Fixed<T> extends AbstractFunction1<T, Object> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Object value;

    Fixed(Object value) {
      this.value = value;
    }

    @Override
    public Object apply(T v) {
      return java.util.Objects.deepEquals(v, value);
    }
  }

  /** Empty (roundsPerEpoch in every epoch) or a list of whole numbers >= 1, "8,2,1". */
  static final class RoundsSchedule extends AbstractFunction1<String, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object apply(String s) {
      return s.isEmpty() || parses(() -> TrainConfig.parseRounds(s, "roundsSchedule"));
    }
  }
}
