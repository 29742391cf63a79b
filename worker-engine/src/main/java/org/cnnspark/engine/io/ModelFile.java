package org.cnnspark.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.layers.Layer;
import org.cnnspark.engine.layers.ParamDef;
import org.cnnspark.engine.optim.Optimizer;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * cnn-spark's own model file: everything needed to predict with a model or to resume training
 * it. Layout (little-endian):
 * <pre>
 *   8 bytes  magic "CNNSPARK"
 *   int32    format version ({@link #VERSION})
 *   int32    header length H, then H bytes of UTF-8 JSON: architecture (canonical compact spec),
 *            input_shape, mean/std (absent for pixels / 255 alone), class_names, provenance
 *            (string map), optimizer (type, its settings, steps taken)
 *   int32    P, then P float32: the network's flat parameter buffer (trainable, then buffers)
 *   int32    S, then S float32: the optimizer's flat state (0 when it has none)
 *   int32    CRC32C of every byte before it
 * </pre>
 * Reading checks the magic, then the version (a file of another version is refused with both
 * numbers), then the checksum, then that every length fits the bytes present, before anything of
 * that length is allocated. Never Java serialization.
 *
 * <p>Version history: 1 is the first format. A later version must keep reading 1; the kept
 * file src/test/resources/compat/model-v1.cnn checks that.
 */
public record ModelFile(ModelSpec spec, Shape inputShape, Normalization normalization, List<String> classNames,
                        Map<String, String> provenance, OptimizerConfig optimizer, long optimizerSteps,
                        float[] params, float[] optimizerState) {
  public static final int VERSION = 1;
  private static final byte[] MAGIC = "CNNSPARK".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** magic, version, header length, P, S, checksum. */
  private static final int FIXED_BYTES = MAGIC.length + 4 + 4 + 4 + 4 + 4;
  /** Largest file read or written: it is parsed from one byte array. */
  public static final long MAX_BYTES = Integer.MAX_VALUE - 8;
  /** Room kept for the JSON header when checking whether P + S floats fit a file. */
  private static final long HEADER_ALLOWANCE = 1 << 20;

  public ModelFile {
    classNames = List.copyOf(classNames);
    provenance = Map.copyOf(provenance);
  }

  /** A snapshot of a network and its optimizer (null for none: a model for prediction only). */
  public static ModelFile of(Network net, Normalization normalization, List<String> classNames,
                             Map<String, String> provenance, OptimizerConfig config, Optimizer optimizer) {
    return new ModelFile(net.spec(), net.inputShape(), normalization, classNames, provenance, config,
        optimizer == null ? 0 : optimizer.steps(), net.paramsArray(),
        optimizer == null ? new float[0] : optimizer.stateArray());
  }

  /**
   * Refuses, before any training, a model whose parameters and optimizer state would make a file
   * larger than {@link #MAX_BYTES}: it could be written but not read back.
   */
  public static void checkFits(long params, long optimizerState) {
    checkFits(params, optimizerState, FIXED_BYTES + HEADER_ALLOWANCE + 4 * (params + optimizerState));
  }

  private static void checkFits(long params, long optimizerState, long bytes) {
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException(String.format("a model of %,d parameters with %,d optimizer state values makes a"
          + " model file of %,d bytes, more than the %,d this version reads (one Java array): use a smaller model, or an"
          + " optimizer with less state (plain SGD: --momentum 0 keeps none; Adam keeps two values per parameter)",
          params, optimizerState, bytes, MAX_BYTES));
    }
  }

  /** A network of this file's architecture holding its parameters. */
  public Network network(Gemm gemm, String source) {
    // The header's architecture says how much to allocate: check it against the parameters the
    // file actually holds first, so a crafted header cannot make us allocate gigabytes.
    long declared = declaredSize(spec, inputShape);
    if (declared != params.length) {
      throw bad(source, "holds " + params.length + " parameters but its architecture '" + spec + "' on " + inputShape
          + " has " + declared + "; the file is corrupt");
    }
    Network net = Network.create(spec, inputShape, org.cnnspark.engine.Init.PYTORCH, 0, gemm);
    if (net.totalSize() != params.length) {
      throw bad(source, "holds " + params.length + " parameters but its architecture '" + spec + "' on " + inputShape
          + " has " + net.totalSize() + "; the file is corrupt");
    }
    net.setParams(params);
    return net;
  }

  /** An optimizer with this file's settings, state and step count, to resume training. */
  public Optimizer restoreOptimizer(Network net, String source) {
    Optimizer opt = optimizer.create(net.trainableSize());
    if (optimizerState.length != 0) {
      if (optimizerState.length != opt.stateSize()) {
        throw bad(source, "holds " + optimizerState.length + " optimizer state values but " + optimizer.type().name() + " on "
            + net.trainableSize() + " parameters needs " + opt.stateSize() + "; the file is corrupt");
      }
      opt.setState(optimizerState);
    }
    opt.setSteps(optimizerSteps);
    return opt;
  }

  /** Writes the file to {@code out} (not closed), computing the checksum as it goes. */
  public void write(OutputStream out) throws IOException {
    CRC32C crc = new CRC32C();
    CheckedOutputStream c = new CheckedOutputStream(out, crc);
    byte[] header = JSON.writeValueAsBytes(headerJson());
    checkFits(params.length, optimizerState.length,
        FIXED_BYTES + header.length + 4L * (params.length + optimizerState.length));
    c.write(MAGIC);
    c.write(ints(VERSION, header.length));
    c.write(header);
    writeFloats(c, params);
    writeFloats(c, optimizerState);
    out.write(ints((int) crc.getValue()));
    out.flush();
  }

  /** Writes atomically (temporary file in the same directory, then rename): never half a file. */
  public void write(Path file) throws IOException {
    AtomicFiles.write(file, this::write);
  }

  private static byte[] ints(int... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return b.array();
  }

  private static void writeFloats(OutputStream out, float[] values) throws IOException {
    out.write(ints(values.length));
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      if (!buf.hasRemaining()) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      buf.putFloat(v);
    }
    out.write(buf.array(), 0, buf.position());
  }

  private ObjectNode headerJson() {
    ObjectNode h = JSON.createObjectNode();
    h.put("architecture", spec.toString());
    h.put("input_shape", inputShape.toString());
    if (normalization.mean() != null) {
      var m = h.putArray("mean");
      var s = h.putArray("std");
      for (int i = 0; i < normalization.mean().length; i++) {
        m.add(normalization.mean()[i]);
        s.add(normalization.std()[i]);
      }
    }
    var cn = h.putArray("class_names");
    classNames.forEach(cn::add);
    ObjectNode p = h.putObject("provenance");
    new TreeMap<>(provenance).forEach(p::put); // sorted: the same model gives the same bytes
    ObjectNode o = optimizer.toJson();
    o.put("steps", optimizerSteps);
    h.set("optimizer", o);
    return h;
  }

  public static ModelFile read(Path file) throws IOException {
    if (Files.size(file) > MAX_BYTES) {
      throw bad(file.toString(), "is " + Files.size(file) + " bytes, larger than the " + MAX_BYTES
          + " a model file can be: it is not a cnn-spark model file");
    }
    return read(Files.readAllBytes(file), file.toString());
  }

  /** Reads a whole file from {@code in} (to its end; the caller closes it), at most {@link #MAX_BYTES}. */
  public static ModelFile read(InputStream in, String source) throws IOException {
    byte[] b = Bytes.readUpTo(in, MAX_BYTES);
    if (b.length == MAX_BYTES && in.read() >= 0) {
      throw bad(source, "is larger than the " + MAX_BYTES + " bytes a model file can be: it is not a cnn-spark model file");
    }
    return read(b, source);
  }

  /** Parses and verifies a whole file; {@code source} names it in errors. */
  public static ModelFile read(byte[] b, String source) {
    if (b.length < MAGIC.length || !Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw bad(source, "is not a cnn-spark model file (it does not start with the CNNSPARK magic bytes)"
          + (looksLikeSafetensors(b) ? "; it looks like a safetensors file: load it as initial weights instead" : ""));
    }
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    if (b.length < MAGIC.length + 4) {
      throw bad(source, "is truncated: " + b.length + " bytes, it ends inside its format version");
    }
    int version = bb.getInt(MAGIC.length);
    if (version != VERSION) {
      throw bad(source, "has format version " + version + "; this build of cnn-spark reads version " + VERSION
          + (version > VERSION ? ": read it with a newer cnn-spark" : ": re-export it with the cnn-spark that wrote it"));
    }
    if (b.length < FIXED_BYTES) {
      throw bad(source, "is truncated: " + b.length + " bytes, less than the " + FIXED_BYTES + " of an empty model file");
    }
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    int stored = bb.getInt(b.length - 4);
    if ((int) crc.getValue() != stored) {
      throw bad(source, String.format("fails its checksum (stored %08x, computed %08x): the file is truncated or corrupt;"
          + " restore it from a copy or train again", stored, (int) crc.getValue()));
    }
    int end = b.length - 4;
    int pos = MAGIC.length + 4;
    int hlen = bb.getInt(pos);
    pos += 4;
    if (hlen < 0 || hlen > end - pos - 8) {
      throw bad(source, "declares a header of " + hlen + " bytes, more than the " + (end - pos - 8) + " the file holds");
    }
    JsonNode h;
    try {
      h = JSON.readTree(new String(b, pos, hlen, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw bad(source, "has a header that is not valid JSON");
    }
    if (h == null || !h.isObject()) {
      throw bad(source, "has a header that is not a JSON object");
    }
    pos += hlen;
    float[] params = floats(bb, pos, end, source, "parameter");
    pos += 4 + 4 * params.length;
    float[] state = floats(bb, pos, end, source, "optimizer state");
    pos += 4 + 4 * state.length;
    if (pos != end) {
      throw bad(source, "has " + (end - pos) + " unexpected bytes before its checksum");
    }
    return fromHeader(h, params, state, source);
  }

  private static ModelFile fromHeader(JsonNode h, float[] params, float[] state, String source) {
    ModelSpec spec;
    Shape shape;
    Normalization norm = Normalization.SCALE_ONLY;
    OptimizerConfig opt;
    JsonNode o = h.path("optimizer");
    try {
      spec = ModelSpec.parse(required(h, "architecture", source).asText());
      shape = Shape.parse(required(h, "input_shape", source).asText());
      if (h.has("mean") || h.has("std")) {
        norm = new Normalization(floatArray(required(h, "mean", source)), floatArray(required(h, "std", source)));
      }
      required(o, "type", source);
      required(o, "lr", source);
      opt = OptimizerConfig.fromJson(o);
    } catch (IllegalArgumentException e) {
      if (e.getMessage().startsWith("model file ")) {
        throw e;
      }
      throw bad(source, "has an invalid header: " + e.getMessage());
    }
    List<String> classes = new ArrayList<>();
    h.path("class_names").forEach(n -> classes.add(n.asText()));
    Map<String, String> prov = new LinkedHashMap<>();
    h.path("provenance").fields().forEachRemaining(e -> prov.put(e.getKey(), e.getValue().asText()));
    long steps = o.path("steps").asLong(0);
    if (steps < 0) {
      throw bad(source, "has a negative optimizer step count " + steps);
    }
    return new ModelFile(spec, shape, norm, classes, prov, opt, steps, params, state);
  }

  /** Parameters and buffers of an architecture on an input shape, counted without allocating them. */
  static long declaredSize(ModelSpec spec, Shape input) {
    long n = 0;
    Shape cur = input;
    for (Layer layer : spec.instantiate()) {
      for (ParamDef p : layer.params(cur)) {
        long size = 1;
        for (int d : p.shape()) {
          size = Math.min(size * d, Integer.MAX_VALUE + 1L); // saturate: only "too large" matters
        }
        n = Math.min(n + size, Integer.MAX_VALUE + 1L);
      }
      cur = layer.outputShape(cur);
    }
    return n;
  }

  private static JsonNode required(JsonNode h, String field, String source) {
    JsonNode v = h.get(field);
    if (v == null || v.isNull()) {
      throw bad(source, "has no '" + field + "' in its header; the file is corrupt or not from cnn-spark");
    }
    return v;
  }

  private static float[] floats(ByteBuffer bb, int pos, int limit, String source, String what) {
    if (pos + 4 > limit) {
      throw bad(source, "ends before its " + what + " count");
    }
    int n = bb.getInt(pos);
    if (n < 0 || (long) n * 4 > limit - pos - 4) {
      throw bad(source, "declares " + n + " " + what + " values, more than the " + (limit - pos - 4) + " bytes left hold");
    }
    float[] out = new float[n];
    bb.slice(pos + 4, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  private static float[] floatArray(JsonNode arr) {
    float[] f = new float[arr.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) arr.get(i).asDouble();
    }
    return f;
  }

  /** The provenance every model should carry; callers add seed, partitions, dataset and so on. */
  public static Map<String, String> basicProvenance(Gemm gemm) {
    Map<String, String> p = new LinkedHashMap<>();
    String v = ModelFile.class.getPackage().getImplementationVersion();
    p.put("engine_version", v == null ? "dev" : v);
    p.put("model_format", String.valueOf(VERSION));
    p.put("kernels", gemm.name());
    p.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
    p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    p.put("cpu", cpu());
    p.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
    return p;
  }

  /** The CPU model and the vector extensions that decide kernel speed, from /proc/cpuinfo where there is one. */
  static String cpu() {
    try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      String model = null;
      List<String> flags = List.of();
      for (String line : (Iterable<String>) lines::iterator) {
        if (model == null && line.startsWith("model name")) {
          model = line.substring(line.indexOf(':') + 1).trim();
        } else if (flags.isEmpty() && (line.startsWith("flags") || line.startsWith("Features"))) {
          flags = Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
        }
      }
      List<String> shown = new ArrayList<>();
      for (String f : new String[] {"avx2", "fma", "avx512f", "asimd", "sve"}) {
        if (flags.contains(f)) {
          shown.add(f);
        }
      }
      return (model == null ? System.getProperty("os.arch") : model) + (shown.isEmpty() ? "" : " " + String.join(",", shown));
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
  }

  /** An 8-byte little-endian length followed by a JSON object: what a safetensors file starts with. */
  private static boolean looksLikeSafetensors(byte[] b) {
    return b.length > 9 && b[8] == '{' && ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0) < b.length;
  }

  static IllegalArgumentException bad(String source, String what) {
    return new IllegalArgumentException("model file " + source + " " + what);
  }
}
