package org.cnnspark.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.optim.OptimizerConfig;

/**
 * cnn-spark's own model file. Layout (little-endian):
 * <pre>
 *   8 bytes  magic "CNNSPARK"
 *   int32    format version ({@link #VERSION})
 *   int32    header length H, then H bytes of UTF-8 JSON (architecture, input shape,
 *            normalisation, class names, provenance, optimizer config and step count)
 *   int32    P, then P float32 parameters (the network's flat buffer)
 *   int32    S, then S float32 optimizer state values
 *   int32    CRC32C of every byte before it
 * </pre>
 * Every length is checked against the bytes actually present before anything is allocated.
 */
public record ModelFile(ModelSpec spec, Shape inputShape, Normalization normalization, List<String> classNames,
                        Map<String, String> provenance, OptimizerConfig optimizer, long optimizerSteps,
                        float[] params, float[] optimizerState) {
  public static final int VERSION = 1;
  private static final byte[] MAGIC = "CNNSPARK".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  public ModelFile {
    classNames = List.copyOf(classNames);
    provenance = Map.copyOf(provenance);
  }

  public void write(OutputStream out) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(body);
    d.write(MAGIC);
    byte[] header = JSON.writeValueAsBytes(headerJson());
    ByteBuffer bb = ByteBuffer.allocate(8 + header.length + 8 + 4 * (params.length + optimizerState.length))
        .order(ByteOrder.LITTLE_ENDIAN);
    bb.putInt(VERSION).putInt(header.length).put(header);
    bb.putInt(params.length);
    for (float v : params) {
      bb.putFloat(v);
    }
    bb.putInt(optimizerState.length);
    for (float v : optimizerState) {
      bb.putFloat(v);
    }
    d.write(bb.array());
    byte[] all = body.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(all);
    out.write(all);
    out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).array());
  }

  /** Writes atomically (temporary file, then rename): an existing file is never half-overwritten. */
  public void write(Path file) throws IOException {
    AtomicFiles.write(file, this::write);
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
    new java.util.TreeMap<>(provenance).forEach(p::put);
    ObjectNode o = h.putObject("optimizer");
    o.put("type", optimizer.type());
    o.put("lr", optimizer.lr());
    o.put("momentum", optimizer.momentum());
    o.put("nesterov", optimizer.nesterov());
    o.put("weight_decay", optimizer.weightDecay());
    o.put("beta1", optimizer.beta1());
    o.put("beta2", optimizer.beta2());
    o.put("eps", optimizer.eps());
    o.put("steps", optimizerSteps);
    return h;
  }

  public static ModelFile read(Path file) throws IOException {
    return read(Files.readAllBytes(file), file.toString());
  }

  public static ModelFile read(InputStream in, String source) throws IOException {
    return read(in.readAllBytes(), source);
  }

  /** Parses and verifies a whole file; {@code source} names it in errors. */
  public static ModelFile read(byte[] b, String source) {
    if (b.length < MAGIC.length + 16 || !java.util.Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw bad(source, "is not a cnn-spark model file (no CNNSPARK magic at its start)");
    }
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int version = bb.getInt(MAGIC.length);
    if (version != VERSION) {
      throw bad(source, "has format version " + version + "; this build reads version " + VERSION
          + (version > VERSION ? ": use a newer cnn-spark" : ""));
    }
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    if ((int) crc.getValue() != bb.getInt(b.length - 4)) {
      throw bad(source, "fails its checksum: the file is truncated or corrupt; restore it or retrain");
    }
    int pos = MAGIC.length + 4;
    int hlen = bb.getInt(pos);
    pos += 4;
    if (hlen < 0 || hlen > b.length - pos - 12) {
      throw bad(source, "declares a header of " + hlen + " bytes, more than the file holds");
    }
    JsonNode h;
    try {
      h = JSON.readTree(new String(b, pos, hlen, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw bad(source, "has a header that is not valid JSON");
    }
    pos += hlen;
    float[] params = floats(bb, pos, b.length - 4, source, "parameters");
    pos += 4 + 4 * params.length;
    float[] state = floats(bb, pos, b.length - 4, source, "optimizer state");
    pos += 4 + 4 * state.length;
    if (pos != b.length - 4) {
      throw bad(source, "has " + (b.length - 4 - pos) + " unexpected bytes before its checksum");
    }
    Normalization norm = Normalization.SCALE_ONLY;
    if (h.has("mean")) {
      norm = new Normalization(floatArray(h.get("mean")), floatArray(h.get("std")));
    }
    List<String> classes = new ArrayList<>();
    h.path("class_names").forEach(n -> classes.add(n.asText()));
    Map<String, String> prov = new LinkedHashMap<>();
    h.path("provenance").fields().forEachRemaining(e -> prov.put(e.getKey(), e.getValue().asText()));
    JsonNode o = h.path("optimizer");
    OptimizerConfig opt = new OptimizerConfig(o.path("type").asText("sgd"), o.path("lr").asDouble(0.01),
        o.path("momentum").asDouble(0), o.path("nesterov").asBoolean(false), o.path("weight_decay").asDouble(0),
        o.path("beta1").asDouble(0.9), o.path("beta2").asDouble(0.999), o.path("eps").asDouble(1e-8));
    return new ModelFile(ModelSpec.parse(h.path("architecture").asText()), Shape.parse(h.path("input_shape").asText()),
        norm, classes, prov, opt, o.path("steps").asLong(0), params, state);
  }

  private static float[] floats(ByteBuffer bb, int pos, int limit, String source, String what) {
    if (pos + 4 > limit) {
      throw bad(source, "ends before its " + what);
    }
    int n = bb.getInt(pos);
    if (n < 0 || (long) n * 4 > limit - pos - 4) {
      throw bad(source, "declares " + n + " " + what + " values, more than the file holds");
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = bb.getFloat(pos + 4 + 4 * i);
    }
    return out;
  }

  private static float[] floatArray(JsonNode arr) {
    float[] f = new float[arr.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) arr.get(i).asDouble();
    }
    return f;
  }

  private static IllegalArgumentException bad(String source, String what) {
    return new IllegalArgumentException("model file " + source + " " + what);
  }
}
