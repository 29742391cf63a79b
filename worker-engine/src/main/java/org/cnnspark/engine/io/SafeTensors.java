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
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to dtype, shape and [begin, end) byte offsets into the data that follows, then the
 * raw little-endian data. Reads F32, F64, F16-free integer types I64/I32 (as values converted to
 * float, e.g. BatchNorm's num_batches_tracked); writes F32, and I64 for tensors named
 * {@code *.num_batches_tracked} so PyTorch's strict load_state_dict accepts the file.
 */
public final class SafeTensors {
  /** Headers are small JSON; anything past this is a corrupt or hostile file. */
  static final long MAX_HEADER = 100L << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafeTensors() {}

  /** One tensor: shape in PyTorch order and values in row-major order. */
  public record Tensor(int[] shape, float[] data) {
    public Tensor {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      if (n != data.length) {
        throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
      }
    }
  }

  public static Map<String, Tensor> read(Path file) throws IOException {
    return read(Files.readAllBytes(file), file.toString());
  }

  public static Map<String, Tensor> read(InputStream in, String source) throws IOException {
    return read(in.readAllBytes(), source);
  }

  /** Parses a whole file's bytes; {@code source} names the file in errors. */
  public static Map<String, Tensor> read(byte[] bytes, String source) {
    if (bytes.length < 8) {
      throw bad(source, "is " + bytes.length + " bytes long, too short for a safetensors header");
    }
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = bb.getLong(0);
    if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > bytes.length - 8L) {
      throw bad(source, "declares a header of " + headerLen + " bytes but the file has " + (bytes.length - 8L)
          + " bytes after the length field: not a safetensors file, or truncated");
    }
    JsonNode header;
    try {
      header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw bad(source, "has a header that is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (header == null || !header.isObject()) {
      throw bad(source, "has a header that is not a JSON object");
    }
    long dataStart = 8 + headerLen;
    long dataLen = bytes.length - dataStart;
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      if (name.equals("__metadata__")) {
        continue;
      }
      JsonNode t = e.getValue();
      String dtype = t.path("dtype").asText("");
      JsonNode shapeNode = t.path("shape");
      JsonNode offs = t.path("data_offsets");
      if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
        throw bad(source, "tensor '" + name + "' lacks a shape or a [begin, end] data_offsets pair");
      }
      int[] shape = new int[shapeNode.size()];
      long count = 1;
      for (int i = 0; i < shape.length; i++) {
        long d = shapeNode.get(i).asLong(-1);
        if (d < 0 || d > Integer.MAX_VALUE) {
          throw bad(source, "tensor '" + name + "' has an invalid dimension " + shapeNode.get(i));
        }
        shape[i] = (int) d;
        count *= d;
        if (count > Integer.MAX_VALUE) {
          throw bad(source, "tensor '" + name + "' is too large (" + shapeNode + ")");
        }
      }
      long begin = offs.get(0).asLong(-1);
      long end = offs.get(1).asLong(-1);
      int width = switch (dtype) {
        case "F32", "I32" -> 4;
        case "F64", "I64" -> 8;
        default -> throw bad(source, "tensor '" + name + "' has dtype " + dtype + "; this reader takes F32, F64, I32, I64");
      };
      if (begin < 0 || end < begin || end > dataLen || end - begin != count * width) {
        throw bad(source, "tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] that do not fit "
            + count + " values of " + dtype + " within the " + dataLen + " data bytes: the file is corrupt or truncated");
      }
      float[] values = new float[(int) count];
      int p = (int) (dataStart + begin);
      for (int i = 0; i < values.length; i++, p += width) {
        values[i] = switch (dtype) {
          case "F32" -> bb.getFloat(p);
          case "F64" -> (float) bb.getDouble(p);
          case "I32" -> bb.getInt(p);
          default -> bb.getLong(p);
        };
      }
      out.put(name, new Tensor(shape, values));
    }
    return out;
  }

  /** Writes tensors in map order; metadata may be empty. */
  public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = header.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    long off = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      boolean int64 = e.getKey().endsWith(".num_batches_tracked");
      long len = (long) e.getValue().data().length * (int64 ? 8 : 4);
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", int64 ? "I64" : "F32");
      var shape = t.putArray("shape");
      for (int d : e.getValue().shape()) {
        shape.add(d);
      }
      t.putArray("data_offsets").add(off).add(off + len);
      off += len;
    }
    byte[] h = JSON.writeValueAsBytes(header);
    int pad = (8 - h.length % 8) % 8; // data starts 8-byte aligned, as the reference writer does
    byte[] padded = Arrays.copyOf(h, h.length + pad);
    Arrays.fill(padded, h.length, padded.length, (byte) ' ');
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
    out.write(len.array());
    out.write(padded);
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      boolean int64 = e.getKey().endsWith(".num_batches_tracked");
      for (float v : e.getValue().data()) {
        if (buf.remaining() < 8) {
          out.write(buf.array(), 0, buf.position());
          buf.clear();
        }
        if (int64) {
          buf.putLong((long) v);
        } else {
          buf.putFloat(v);
        }
      }
    }
    out.write(buf.array(), 0, buf.position());
  }

  /** Writes atomically: a temporary file beside the target, then a rename. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    AtomicFiles.write(file, out -> write(out, tensors, metadata));
  }

  static IllegalArgumentException bad(String source, String what) {
    return new IllegalArgumentException("safetensors file " + source + " " + what);
  }
}
