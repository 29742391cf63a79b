package org.cnnspark.driver.train;

import java.io.Serializable;
import java.util.Arrays;
import org.cnnspark.engine.Augmentation;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.layers.Layer;
import org.cnnspark.engine.layers.ParamDef;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * What an executor needs to build the engine for a task: architecture, input shape, optimizer
 * settings, pixel normalisation and engine threads. Plain values, so it travels in a task closure;
 * its {@link #key()} names the cached engine objects of an executor JVM.
 */
public final class EngineSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String architecture;
  private final int channels;
  private final int height;
  private final int width;
  /** The optimizer's JSON form. */
  private final String optimizer;
  private final float[] mean;
  private final float[] std;
  private final int threads;
  /** Prefixes of the tensors that do not train, comma-separated; "" = none (see Network.freeze). */
  private final String freeze;
  private final Augmentation augmentation;

  public EngineSpec(ModelSpec spec, Shape inputShape, OptimizerConfig opt, Normalization norm, int threads) {
    this(spec, inputShape, opt, norm, threads, java.util.List.of(), Augmentation.NONE);
  }

  public EngineSpec(ModelSpec spec, Shape inputShape, OptimizerConfig opt, Normalization norm, int threads,
      java.util.List<String> freeze, Augmentation augmentation) {
    if (threads < 1) {
      throw new IllegalArgumentException("engine threads per task must be >= 1, got " + threads);
    }
    this.architecture = spec.toString();
    this.channels = inputShape.c();
    this.height = inputShape.h();
    this.width = inputShape.w();
    this.optimizer = opt.toJson().toString();
    this.mean = norm.mean() == null ? null : norm.mean().clone();
    this.std = norm.std() == null ? null : norm.std().clone();
    this.threads = threads;
    this.freeze = String.join(",", freeze);
    this.augmentation = augmentation;
  }

  /** The frozen prefixes (empty: everything trains). */
  public java.util.List<String> freeze() {
    return freeze.isEmpty() ? java.util.List.of() : java.util.List.of(freeze.split(","));
  }

  public ModelSpec spec() {
    return ModelSpec.parse(architecture);
  }

  public Shape inputShape() {
    return new Shape(channels, height, width);
  }

  public OptimizerConfig optimizerConfig() {
    return OptimizerConfig.parse(optimizer);
  }

  public Normalization normalization() {
    return mean == null ? Normalization.SCALE_ONLY : new Normalization(mean.clone(), std.clone());
  }

  public int threads() {
    return threads;
  }

  /** Trainable parameters (the prefix gradients and optimizer state cover), counted without building the network. */
  public int trainableSize() {
    long n = 0;
    Shape cur = inputShape();
    for (Layer layer : spec().instantiate()) {
      for (ParamDef p : layer.params(cur)) {
        n += p.trainable() ? p.size() : 0;
      }
      cur = layer.outputShape(cur);
    }
    return Math.toIntExact(n);
  }

  /**
   * The values of [parameters | optimizer state] (of these sizes) that training can change: all
   * but those of frozen tensors. Builds the network once when something is frozen.
   */
  LiveValues liveValues(int paramsSize, int stateSize) {
    if (freeze.isEmpty()) {
      return LiveValues.all(paramsSize, trainableSize(), stateSize);
    }
    Network net = Network.create(spec(), inputShape(), Init.PYTORCH, 0);
    net.freeze(freeze());
    return LiveValues.without(net.fixedRanges(), paramsSize, net.trainableSize(), stateSize);
  }

  /** Equal keys build interchangeable engines. */
  public String key() {
    return architecture + '|' + inputShape() + '|' + optimizer + '|' + Arrays.toString(mean) + '|'
        + Arrays.toString(std) + '|' + threads + '|' + freeze + '|' + augmentation.text();
  }

  /** A new engine; its parameters and optimizer state are to be set by the caller. */
  Trainer newTrainer() {
    Network net = Network.create(spec(), inputShape(), Init.PYTORCH, 0);
    net.freeze(freeze());
    Trainer trainer = new Trainer(net, optimizerConfig(), threads, normalization());
    trainer.setAugmentation(augmentation);
    return trainer;
  }
}
