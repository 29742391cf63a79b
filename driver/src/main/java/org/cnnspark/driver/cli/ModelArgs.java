package org.cnnspark.driver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.StateDict;
import org.cnnspark.engine.optim.OptimizerConfig;
import picocli.CommandLine.Option;

/** A trained model to use: a model directory (or its model.cnn), or PyTorch-named safetensors plus --arch. */
public final class ModelArgs {
  @Option(names = "--model", required = true, paramLabel = "MODEL",
      description = "A model directory written by train (or its model.cnn file), or a .safetensors file with PyTorch names "
          + "(then --arch and --input-shape say what network it is).")
  String model;

  @Option(names = "--arch", paramLabel = "SPEC",
      description = "Architecture of a .safetensors --model: tutorial-cnn, a ResNet preset, a spec string or JSON (default: tutorial-cnn).")
  String arch;

  @Option(names = "--input-shape", paramLabel = "CxHxW",
      description = "Input shape of a .safetensors --model (default: the data's shape).")
  String inputShape;

  boolean isSafetensors() {
    return model.endsWith(".safetensors");
  }

  /** Refuses options that do not apply, before Spark starts. */
  void check() {
    if (!isSafetensors() && (arch != null || inputShape != null)) {
      throw new IllegalArgumentException("--arch and --input-shape apply only to a .safetensors --model; " + model
          + " is a model directory, which names its own architecture and input shape");
    }
    if (arch != null) {
      ModelSpec.parse(arch);
    }
    if (inputShape != null) {
      parseShape(inputShape);
    }
  }

  /** --input-shape, with the option named in the error. */
  static Shape parseShape(String text) {
    try {
      return Shape.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--input-shape " + text + ": " + e.getMessage(), e);
    }
  }

  /** The input shape the model wants, if known without the data (null for safetensors without --input-shape). */
  Shape knownShape(ModelFile loaded) {
    if (loaded != null) {
      return loaded.inputShape();
    }
    return inputShape == null ? null : parseShape(inputShape);
  }

  /** The model directory (--model, or the directory of a model.cnn --model). */
  String modelDirectory() {
    if (model.equals(ModelDir.MODEL)) {
      return ".";
    }
    return model.endsWith("/" + ModelDir.MODEL) ? model.substring(0, model.length() - ModelDir.MODEL.length() - 1) : model;
  }

  /** A model directory named by a command that reads nothing else (export, inspect). */
  static ModelArgs directoryOnly(String model, String command) {
    if (model.endsWith(".safetensors")) {
      throw new IllegalArgumentException("--model " + model + " is a safetensors file: " + command
          + " reads a model directory written by train");
    }
    ModelArgs a = new ModelArgs();
    a.model = model;
    return a;
  }

  /** The model directory's contents, or null for safetensors (see {@link #fromSafetensors}). */
  ModelFile readModelDir(Configuration conf) throws IOException {
    return isSafetensors() ? null : ModelDir.read(modelDirectory(), conf);
  }

  /** A model from safetensors weights; the input shape is --input-shape or else the data's. */
  ModelFile fromSafetensors(Configuration conf, Shape dataShape) throws IOException {
    ModelSpec spec = ModelSpec.parse(arch == null ? "tutorial-cnn" : arch);
    Shape shape = inputShape != null ? parseShape(inputShape) : dataShape;
    Network net = Network.create(spec, shape, Init.PYTORCH, 0);
    try (InputStream in = HadoopFiles.open(model, conf, "--model")) {
      StateDict.load(net, SafeTensors.read(in, model), model);
    }
    return new ModelFile(spec, shape, Normalization.SCALE_ONLY, List.of(), Map.of("weights", model),
        OptimizerConfig.sgd(0.01, 0, false, 0), 0, net.paramsArray(), new float[0]);
  }
}
