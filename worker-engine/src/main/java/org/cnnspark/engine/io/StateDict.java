package org.cnnspark.engine.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.ParamView;

/** A network's tensors by PyTorch name, as {@code nn.Module.state_dict()} and {@code load_state_dict(strict=True)}. */
public final class StateDict {
  private StateDict() {}

  public static Map<String, SafeTensors.Tensor> export(Network net) {
    Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
    for (ParamView v : net.views()) {
      float[] data = new float[v.size()];
      net.params().get(v.offset(), data, 0, v.size());
      out.put(v.name(), new SafeTensors.Tensor(v.shape(), data));
    }
    return out;
  }

  /**
   * Copies every tensor into the network; refuses (changing nothing) when a name is missing or
   * extra or a shape differs, listing all of them with the expected shapes.
   */
  public static void load(Network net, Map<String, SafeTensors.Tensor> tensors, String source) {
    List<String> problems = new ArrayList<>();
    for (ParamView v : net.views()) {
      SafeTensors.Tensor t = tensors.get(v.name());
      if (t == null) {
        problems.add("missing " + v.name() + " " + v.shapeString());
      } else if (!Arrays.equals(t.shape(), v.shape())) {
        problems.add(v.name() + " has shape " + Arrays.toString(t.shape()) + ", expected " + v.shapeString());
      }
    }
    for (String name : tensors.keySet()) {
      if (net.views().stream().noneMatch(v -> v.name().equals(name))) {
        problems.add("unexpected " + name);
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(source + " does not match the architecture '" + net.spec() + "' on "
          + net.inputShape() + ": " + String.join("; ", problems)
          + ". Check --arch and --input-shape, or export the weights from the same model.");
    }
    for (ParamView v : net.views()) {
      net.params().put(v.offset(), tensors.get(v.name()).data());
    }
  }
}
