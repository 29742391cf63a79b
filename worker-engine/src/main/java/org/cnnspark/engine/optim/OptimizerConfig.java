package org.cnnspark.engine.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * An optimizer type with its settings, PyTorch's names: lr, momentum and nesterov (SGD),
 * weight_decay, betas and eps (the Adam family). The record holds every setting the registered
 * types read; a type ignores the ones it does not use, which keep its defaults (see
 * {@link OptimizerType#settings()}). Its text form ({@link #describe}) is what inspect and the
 * report print; its JSON form ({@link #toJson}) is what the model file and the engine spec carry.
 */
public record OptimizerConfig(OptimizerType type, double lr, double momentum, boolean nesterov, double weightDecay,
                              double beta1, double beta2, double eps) {

  /** The settings a type may read, in the order the text form lists them. */
  public enum Setting { LR, MOMENTUM, NESTEROV, BETAS, EPS, WEIGHT_DECAY }

  private static final ObjectMapper JSON = new ObjectMapper();

  public OptimizerConfig {
    check(lr > 0 && Double.isFinite(lr), "learning rate must be > 0, got " + lr);
    check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got " + momentum);
    check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
    check(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0");
    check(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
    check(eps > 0, "Adam eps must be > 0, got " + eps);
  }

  private static void check(boolean ok, String msg) {
    if (!ok) {
      throw new IllegalArgumentException(msg);
    }
  }

  /** torch.optim.SGD; betas and eps are not used and keep Adam's defaults. */
  public static OptimizerConfig sgd(double lr, double momentum, boolean nesterov, double weightDecay) {
    return new OptimizerConfig(Sgd.TYPE, lr, momentum, nesterov, weightDecay, 0.9, 0.999, 1e-8);
  }

  /** torch.optim.Adam, weight decay added to the gradient (L2). */
  public static OptimizerConfig adam(double lr, double beta1, double beta2, double eps, double weightDecay) {
    return new OptimizerConfig(Adam.TYPE, lr, 0, false, weightDecay, beta1, beta2, eps);
  }

  /** torch.optim.AdamW: weight decay applied to the weights apart from the gradient. */
  public static OptimizerConfig adamw(double lr, double beta1, double beta2, double eps, double weightDecay) {
    return new OptimizerConfig(AdamW.TYPE, lr, 0, false, weightDecay, beta1, beta2, eps);
  }

  /**
   * These settings with those a user gave in place (null = not given) where the type uses them;
   * called on {@code type.defaults()}, it is what a command line or an Estimator asks for.
   */
  public OptimizerConfig with(Double lr, Double momentum, Boolean nesterov, Double weightDecay) {
    Set<Setting> used = type.settings();
    return new OptimizerConfig(type,
        lr != null ? lr : this.lr,
        momentum != null && used.contains(Setting.MOMENTUM) ? momentum : this.momentum,
        nesterov != null && used.contains(Setting.NESTEROV) ? nesterov : this.nesterov,
        weightDecay != null && used.contains(Setting.WEIGHT_DECAY) ? weightDecay : this.weightDecay,
        beta1, beta2, eps);
  }

  /** Floats of optimizer state per trainable parameter. */
  public int stateFloatsPerParam() {
    return type.stateFloatsPerParam(this);
  }

  public Optimizer create(int trainableSize) {
    return type.create(this, trainableSize);
  }

  /** One line: the type's name and the settings it uses, e.g. "sgd lr=0.01 momentum=0.9 nesterov=false weight_decay=0.0". */
  public String describe() {
    StringBuilder s = new StringBuilder(type.name());
    for (Setting setting : type.settings()) {
      s.append(' ').append(switch (setting) {
        case LR -> "lr=" + lr;
        case MOMENTUM -> "momentum=" + momentum;
        case NESTEROV -> "nesterov=" + nesterov;
        case BETAS -> "betas=(" + beta1 + ", " + beta2 + ")";
        case EPS -> "eps=" + eps;
        case WEIGHT_DECAY -> "weight_decay=" + weightDecay;
      });
    }
    return s.toString();
  }

  /**
   * Every setting, used or not, in a fixed order: model files of version 1 hold exactly these
   * fields, so a model's bytes do not depend on the build that wrote it.
   */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", type.name());
    o.put("lr", lr);
    o.put("momentum", momentum);
    o.put("nesterov", nesterov);
    o.put("weight_decay", weightDecay);
    o.put("beta1", beta1);
    o.put("beta2", beta2);
    o.put("eps", eps);
    return o;
  }

  /** The inverse of {@link #toJson}; type and lr are required, other settings missing take their neutral values. */
  public static OptimizerConfig fromJson(JsonNode o) {
    return new OptimizerConfig(Optimizers.get(o.path("type").asText()), o.path("lr").asDouble(),
        o.path("momentum").asDouble(0), o.path("nesterov").asBoolean(false), o.path("weight_decay").asDouble(0),
        o.path("beta1").asDouble(0.9), o.path("beta2").asDouble(0.999), o.path("eps").asDouble(1e-8));
  }

  /** {@link #fromJson} of a JSON text. */
  public static OptimizerConfig parse(String json) {
    try {
      return fromJson(JSON.readTree(json));
    } catch (IOException e) {
      throw new UncheckedIOException("optimizer settings are not JSON: " + json, e);
    }
  }
}
