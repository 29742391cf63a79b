package org.cnnspark.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cnnspark.engine.layers.BatchNorm2d;
import org.cnnspark.engine.layers.Conv2d;
import org.cnnspark.engine.layers.Dropout;
import org.cnnspark.engine.layers.Flatten;
import org.cnnspark.engine.layers.GlobalAvgPool;
import org.cnnspark.engine.layers.Layer;
import org.cnnspark.engine.layers.Linear;
import org.cnnspark.engine.layers.Pool2d;
import org.cnnspark.engine.layers.ReLU;
import org.cnnspark.engine.layers.Residual;

/**
 * A sequential architecture as text. The compact form is layers separated by spaces, each a name
 * with optional arguments, positional first then key=value:
 * <pre>
 *   conv(OUT, K[, stride=1][, pad=0][, bias=true])   maxpool(K[, stride=K][, pad=0])
 *   avgpool(K[, stride=K][, pad=0])   relu   flatten   dense(OUT[, bias=true])
 *   dropout([p=0.5])   batchnorm[(eps=1e-5, momentum=0.1)]   gap
 *   res(MAIN[ | SHORTCUT])
 * </pre>
 * ({@code linear} = dense, {@code bn} = batchnorm, {@code padding} = pad, {@code gap} = global
 * average pooling.) {@code res} is a residual block (see Residual): MAIN and SHORTCUT are
 * layer sequences in this same language, the shortcut the identity when absent. The JSON form is
 * {@code {"layers": [{"type": "conv", "out": 32, "kernel": 3, "pad": 1}, ...]}} or a bare array;
 * a block is {@code {"type": "res", "main": [...], "shortcut": [...]}}.
 * Names such as {@code tutorial-cnn} and {@code resnet18(classes=10)} stand for the specs in {@link Presets}.
 */
public final class ModelSpec {
  /** The PyTorch tutorial model this project grew from. */
  public static final String TUTORIAL_CNN = Presets.TUTORIAL_CNN;

  /** One layer: its type and its arguments by name. */
  public record LayerSpec(String type, Map<String, String> args) {}

  private static final Map<String, String[]> POSITIONAL = Map.of(
      "conv", new String[] {"out", "kernel"},
      "maxpool", new String[] {"kernel"},
      "avgpool", new String[] {"kernel"},
      "dense", new String[] {"out"},
      "dropout", new String[] {"p"},
      "batchnorm", new String[0],
      "relu", new String[0],
      "flatten", new String[0],
      "gap", new String[0],
      "res", new String[0]);

  private static final Map<String, String> ALIASES = Map.of(
      "linear", "dense", "fc", "dense", "bn", "batchnorm", "conv2d", "conv",
      "maxpool2d", "maxpool", "avgpool2d", "avgpool", "batchnorm2d", "batchnorm", "globalavgpool", "gap",
      "adaptiveavgpool2d", "gap", "residual", "res");

  private final List<LayerSpec> layers;

  private ModelSpec(List<LayerSpec> layers) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("architecture has no layers: give e.g. 'tutorial-cnn' or '" + TUTORIAL_CNN + "'");
    }
    this.layers = List.copyOf(layers);
    instantiate(); // validates every argument now, not at first use
  }

  public List<LayerSpec> layers() {
    return layers;
  }

  /** Parses a name ({@code tutorial-cnn}), a compact spec string, or JSON. */
  public static ModelSpec parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty architecture: give e.g. 'tutorial-cnn' or '" + TUTORIAL_CNN + "'");
    }
    String t = text.trim();
    String preset = Presets.expand(t);
    if (preset != null) {
      t = preset;
    }
    if (t.startsWith("{") || t.startsWith("[")) {
      return parseJson(t);
    }
    return new ModelSpec(parseCompact(t));
  }

  private static List<LayerSpec> parseCompact(String t) {
    List<LayerSpec> out = new ArrayList<>();
    int i = 0;
    int n = t.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(t.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int start = i;
      while (i < n && (Character.isLetterOrDigit(t.charAt(i)) || t.charAt(i) == '_')) {
        i++;
      }
      String name = t.substring(start, i);
      if (name.isEmpty()) {
        throw new IllegalArgumentException("architecture: unexpected '" + t.charAt(i) + "' at position " + i + " in '" + t + "'");
      }
      String argText = "";
      if (i < n && t.charAt(i) == '(') {
        int close = closing(t, i);
        if (close < 0) {
          throw new IllegalArgumentException("architecture: '(' after '" + name + "' at position " + i + " is never closed in '" + t + "'");
        }
        argText = t.substring(i + 1, close);
        i = close + 1;
      }
      if (i < n && !Character.isWhitespace(t.charAt(i))) {
        throw new IllegalArgumentException("architecture: expected a space after '" + t.substring(start, i) + "' at position " + i + " in '" + t + "'");
      }
      out.add(layer(name, argText));
    }
    return out;
  }

  /** Index of the ')' that closes the '(' at {@code open}, or -1. */
  private static int closing(String t, int open) {
    int depth = 0;
    for (int i = open; i < t.length(); i++) {
      if (t.charAt(i) == '(') {
        depth++;
      } else if (t.charAt(i) == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static String canonicalType(String name) {
    String type = name.toLowerCase(Locale.ROOT);
    type = ALIASES.getOrDefault(type, type);
    if (!POSITIONAL.containsKey(type)) {
      throw new IllegalArgumentException("architecture: unknown layer '" + name + "'; known layers: conv, maxpool, avgpool, relu, flatten, dense, dropout, batchnorm, gap, res;"
          + " whole models: " + String.join(", ", Presets.NAMES));
    }
    return type;
  }

  private static LayerSpec layer(String name, String argText) {
    String type = canonicalType(name);
    String[] positional = POSITIONAL.get(type);
    Map<String, String> args = new LinkedHashMap<>();
    if (type.equals("res")) { // res(MAIN | SHORTCUT): layer lists, not key=value arguments
      int bar = topLevelBar(argText);
      args.put("main", (bar < 0 ? argText : argText.substring(0, bar)).trim());
      if (bar >= 0) {
        args.put("shortcut", argText.substring(bar + 1).trim());
      }
      return new LayerSpec(type, args);
    }
    if (!argText.isBlank()) {
      String[] parts = argText.split(",");
      boolean sawNamed = false;
      for (int k = 0; k < parts.length; k++) {
        String p = parts[k].trim();
        int eq = p.indexOf('=');
        if (eq >= 0) {
          sawNamed = true;
          args.put(p.substring(0, eq).trim().toLowerCase(Locale.ROOT), p.substring(eq + 1).trim());
        } else if (sawNamed) {
          throw new IllegalArgumentException("architecture: in " + name + "(" + argText + "), positional argument '" + p + "' after a named one");
        } else if (k < positional.length) {
          args.put(positional[k], p);
        } else {
          throw new IllegalArgumentException("architecture: " + name + "(" + argText + ") has too many positional arguments; "
              + type + " takes " + (positional.length == 0 ? "none" : String.join(", ", positional)));
        }
      }
    }
    return new LayerSpec(type, args);
  }

  /** Index of the '|' outside any parentheses, or -1; a second one is an error. */
  private static int topLevelBar(String t) {
    int depth = 0;
    int bar = -1;
    for (int i = 0; i < t.length(); i++) {
      char ch = t.charAt(i);
      depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
      if (ch == '|' && depth == 0) {
        if (bar >= 0) {
          throw new IllegalArgumentException("architecture: res(" + t + ") has two '|'; give res(MAIN | SHORTCUT)");
        }
        bar = i;
      }
    }
    return bar;
  }

  private static ModelSpec parseJson(String t) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(t);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("architecture JSON does not parse: " + e.getOriginalMessage());
    }
    JsonNode arr = root.isArray() ? root : root.get("layers");
    if (arr == null || !arr.isArray()) {
      throw new IllegalArgumentException("architecture JSON needs a \"layers\" array, e.g. {\"layers\": [{\"type\": \"conv\", \"out\": 32, \"kernel\": 3}]}");
    }
    return new ModelSpec(jsonLayers(arr));
  }

  private static List<LayerSpec> jsonLayers(JsonNode arr) {
    List<LayerSpec> out = new ArrayList<>();
    int idx = 0;
    for (JsonNode node : arr) {
      JsonNode type = node.get("type");
      if (type == null || !type.isTextual()) {
        throw new IllegalArgumentException("architecture JSON: layer " + idx + " has no \"type\" string: " + node);
      }
      Map<String, String> args = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getValue().isArray()) { // a block's branch: back to the compact form
          args.put(f.getKey().toLowerCase(Locale.ROOT), compact(jsonLayers(f.getValue())));
        } else if (!f.getKey().equals("type")) {
          args.put(f.getKey().toLowerCase(Locale.ROOT), f.getValue().asText());
        }
      }
      out.add(new LayerSpec(canonicalType(type.asText()), args));
      idx++;
    }
    return out;
  }

  private static String compact(List<LayerSpec> layers) {
    StringBuilder sb = new StringBuilder();
    for (LayerSpec s : layers) {
      sb.append(sb.length() == 0 ? "" : " ").append(build(s).fullSpec());
    }
    return sb.toString();
  }

  /** Fresh, unbound layer objects for this architecture (one set per network replica). */
  public List<Layer> instantiate() {
    List<Layer> out = new ArrayList<>();
    for (LayerSpec s : layers) {
      out.add(build(s));
    }
    return out;
  }

  private static Layer build(LayerSpec s) {
    Args a = new Args(s);
    String name = s.type().equals("res") ? null : a.name();
    Layer l = switch (s.type()) {
      case "conv" -> {
        int k = a.integer("kernel", -1);
        yield new Conv2d(a.integer("out", -1), k, a.integer("stride", 1), a.padding(), a.bool("bias", true));
      }
      case "maxpool", "avgpool" -> {
        int k = a.integer("kernel", -1);
        yield new Pool2d(s.type().equals("maxpool"), k, a.integer("stride", k), a.padding());
      }
      case "dense" -> new Linear(a.integer("out", -1), a.bool("bias", true));
      case "dropout" -> new Dropout(a.real("p", 0.5));
      case "batchnorm" -> new BatchNorm2d(a.real("eps", 1e-5), a.real("momentum", 0.1));
      case "relu" -> new ReLU();
      case "flatten" -> new Flatten();
      case "gap" -> new GlobalAvgPool();
      case "res" -> new Residual(branch(a.text("main")), a.has("shortcut") ? branch(a.text("shortcut")) : List.of());
      default -> throw new IllegalArgumentException("architecture: unknown layer '" + s.type() + "'");
    };
    a.checkAllUsed();
    l.setName(name);
    return l;
  }

  private static List<Layer> branch(String text) {
    List<Layer> out = new ArrayList<>();
    for (LayerSpec s : parseCompact(text)) {
      out.add(build(s));
    }
    return out;
  }

  /** Canonical compact form; parse(toString()) gives an equal spec. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Layer l : instantiate()) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(l.fullSpec());
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec m && m.toString().equals(toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  /** Typed access to one layer's arguments; refuses unknown names and bad numbers. */
  private static final class Args {
    private final LayerSpec spec;
    private final java.util.Set<String> used = new java.util.HashSet<>();

    Args(LayerSpec spec) {
      this.spec = spec;
    }

    boolean has(String k) {
      return spec.args().containsKey(k);
    }

    /** pad, or its alias padding; not both. */
    int padding() {
      if (has("pad") && has("padding")) {
        throw new IllegalArgumentException("architecture: " + spec.type() + " has both pad and padding; give one");
      }
      return has("padding") ? integer("padding", 0) : integer("pad", 0);
    }

    private String raw(String k) {
      used.add(k);
      return spec.args().get(k);
    }

    /** The optional name=..., a PyTorch attribute name (fc, head, layer_out). */
    String name() {
      String v = raw("name");
      if (v != null && !v.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException("architecture: " + spec.type() + " name='" + v
            + "' is not a plain name (letters, digits and _, not starting with a digit)");
      }
      return v;
    }

    String text(String k) {
      String v = raw(k);
      return v == null ? "" : v;
    }

    int integer(String k, int dflt) {
      String v = raw(k);
      if (v == null) {
        if (dflt < 0) {
          throw new IllegalArgumentException("architecture: " + spec.type() + " needs '" + k + "', e.g. "
              + (spec.type().equals("conv") ? "conv(32,3,pad=1)" : spec.type().equals("dense") ? "dense(128)" : spec.type() + "(2)"));
        }
        return dflt;
      }
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("architecture: " + spec.type() + " argument " + k + "='" + v + "' is not an integer");
      }
    }

    double real(String k, double dflt) {
      String v = raw(k);
      if (v == null) {
        return dflt;
      }
      try {
        return Double.parseDouble(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("architecture: " + spec.type() + " argument " + k + "='" + v + "' is not a number");
      }
    }

    boolean bool(String k, boolean dflt) {
      String v = raw(k);
      if (v == null) {
        return dflt;
      }
      if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
        throw new IllegalArgumentException("architecture: " + spec.type() + " argument " + k + "='" + v + "' must be true or false");
      }
      return Boolean.parseBoolean(v);
    }

    void checkAllUsed() {
      for (String k : spec.args().keySet()) {
        if (!used.contains(k)) {
          throw new IllegalArgumentException("architecture: " + spec.type() + " has no argument '" + k + "'");
        }
      }
    }
  }
}
