package org.cnnspark.driver.train;

import java.util.List;
import org.cnnspark.engine.Augmentation;
import org.cnnspark.engine.Normalization;

/**
 * How the engine treats the model and the pixels in a training run, beyond architecture and
 * optimizer: frozen tensors, pixel normalisation (kept in the model) and training-time
 * augmentation. {@link #NONE} is the behaviour without the options.
 *
 * @param freeze prefixes of the tensors that do not train (see Network.freeze); empty: all train
 * @param normalization the pixels' preprocessing, kept in the model for scoring
 * @param augmentation crops and flips of the training images (never of test or scored ones)
 */
public record EngineOptions(List<String> freeze, Normalization normalization, Augmentation augmentation) {
  public static final EngineOptions NONE = new EngineOptions(List.of(), Normalization.SCALE_ONLY, Augmentation.NONE);

  public EngineOptions {
    freeze = List.copyOf(freeze);
  }
}
