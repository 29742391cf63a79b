package org.cnnspark.engine.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.ParamView;

/**
 * A network's tensors by PyTorch name and layout, as {@code nn.Module.state_dict()} gives them
 * and {@code load_state_dict(strict=True)} takes them: conv1.weight (OC, C, K, K), fc1.weight
 * (out, in), bn1.running_mean (C), bn1.num_batches_tracked (a scalar), ...
 */
public final class StateDict {
  private StateDict() {}

  /** Every tensor of the network (trainable and buffers), in the network's order. */
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
   * Copies every tensor into the network. Refuses, changing nothing, when a name is missing or
   * extra or a shape differs, listing every problem with the expected shapes; {@code source}
   * names the file in the message.
   */
  public static void load(Network net, Map<String, SafeTensors.Tensor> tensors, String source) {
    load(net, tensors, source, List.of());
  }

  /**
   * As {@link #load(Network, Map, String)}, but tensors under the given prefixes ({@code fc} is
   * fc.weight and fc.bias; {@code layer4} all of that stage) keep the network's own values, and
   * the file's tensors there are ignored whatever their shape: a head for another class count.
   * Returns the names kept. A prefix that names no tensor is refused with the names there are.
   */
  public static List<String> load(Network net, Map<String, SafeTensors.Tensor> tensors, String source, List<String> skip) {
    for (String prefix : skip) {
      if (net.views().stream().noneMatch(v -> Network.under(v.name(), prefix))) {
        throw new IllegalArgumentException("--init-skip " + prefix + " names no tensor of this model; its tensors are "
            + net.names());
      }
    }
    List<String> kept = new ArrayList<>();
    Map<String, ParamView> expected = new LinkedHashMap<>();
    net.views().forEach(v -> {
      if (skip.stream().anyMatch(p -> Network.under(v.name(), p))) {
        kept.add(v.name());
      } else {
        expected.put(v.name(), v);
      }
    });
    tensors = new LinkedHashMap<>(tensors);
    tensors.keySet().removeIf(k -> skip.stream().anyMatch(p -> Network.under(k, p)));
    List<String> problems = new ArrayList<>();
    for (ParamView v : expected.values()) {
      SafeTensors.Tensor t = tensors.get(v.name());
      if (t == null) {
        problems.add("missing " + v.name() + " " + v.shapeString());
      } else if (!Arrays.equals(t.shape(), v.shape())) {
        problems.add(v.name() + " has shape " + shapeString(t.shape()) + ", expected " + v.shapeString());
      }
    }
    for (Map.Entry<String, SafeTensors.Tensor> e : tensors.entrySet()) {
      if (!expected.containsKey(e.getKey())) {
        problems.add("unexpected " + e.getKey() + " " + shapeString(e.getValue().shape()));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(source + " does not match the architecture '" + net.spec() + "' on input "
          + net.inputShape() + ": " + String.join("; ", problems) + "." + prefixHint(expected.keySet(), tensors.keySet())
          + " Check --arch and --input-shape, or export the weights from the same model.");
    }
    for (ParamView v : expected.values()) {
      net.params().put(v.offset(), tensors.get(v.name()).data());
    }
    return kept;
  }


  /**
   * A state_dict saved from a wrapper (nn.DataParallel's "module.", a Lightning "model.") has
   * every name under one prefix: say so, since the listing alone makes that hard to see.
   */
  private static String prefixHint(Set<String> expected, Set<String> found) {
    if (expected.isEmpty()) {
      return "";
    }
    String first = expected.iterator().next();
    for (String f : found) {
      if (f.endsWith("." + first)) {
        String prefix = f.substring(0, f.length() - first.length());
        if (expected.stream().allMatch(e -> found.contains(prefix + e))) {
          return " Every expected name is present under the prefix '" + prefix + "' (as nn.DataParallel saves them):"
              + " remove that prefix from the names.";
        }
      }
    }
    return "";
  }

  private static String shapeString(int[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i > 0 ? ", " : "").append(shape[i]);
    }
    return sb.append(')').toString();
  }
}
