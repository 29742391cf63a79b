package org.cnnspark.driver.cli;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.io.ModelFile;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.StateDict;
import org.cnnspark.engine.kernels.JavaGemm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code export}: a model's weights as safetensors with PyTorch's names and layouts. No Spark. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Write a model's weights as safetensors with PyTorch's names and layouts (conv1.weight, fc1.bias, "
        + "bn1.running_mean, ...), loadable with model.load_state_dict(safetensors.torch.load_file(...)).",
        "The metadata holds the architecture and input shape."})
public final class ExportCommand implements Callable<Integer> {
  @Mixin
  Main.Common common;

  @Option(names = "--model", required = true, paramLabel = "MODEL_DIR", description = "Model directory written by train.")
  String model;

  @Option(names = "--out", required = true, paramLabel = "W.safetensors", description = "File to write (any Hadoop path).")
  String out;

  @Override
  public Integer call() throws IOException {
    Configuration conf = new Configuration();
    ModelArgs args = ModelArgs.directoryOnly(model, "export");
    ModelFile m = args.readModelDir(conf);
    // The Java kernels: exporting runs no arithmetic, so no native library needs to load.
    Network net = m.network(new JavaGemm(), model);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("architecture", m.spec().toString());
    meta.put("input_shape", m.inputShape().toString());
    if (!m.classNames().isEmpty()) {
      meta.put("class_names", String.join(",", m.classNames()));
    }
    HadoopFiles.write(out, conf, os -> SafeTensors.write(os, StateDict.export(net), meta));
    System.err.printf("cnn-spark: wrote %d tensors (%,d floats) to %s%n", net.views().size(), net.totalSize(), out);
    return 0;
  }
}
