package org.cnnspark.engine.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
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
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (PyTorch interop): an 8-byte little-endian header length N, N bytes of
 * JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}}
 * (plus an optional {@code "__metadata__"} string map), then the raw little-endian data, the
 * offsets relative to its start.
 *
 * <p>Reads F32, and F64, I64, I32 converted to float (PyTorch's BatchNorm
 * {@code num_batches_tracked} is I64). Writes F32, and I64 for tensors named
 * {@code *.num_batches_tracked} so that {@code load_state_dict(strict=True)} accepts the file.
 *
 * <p>Like the reference implementation, a file is refused unless its tensors' byte ranges tile the
 * data exactly: no overlap, no gap, nothing after the last tensor. Every length is checked before
 * anything of that size is allocated, and data is read in bounded chunks, so a corrupt header
 * cannot make the reader allocate more than the stream actually holds.
 */
public final class SafeTensors {
  /** Headers are small JSON (the reference reader's limit too); past this is a corrupt file. */
  static final long MAX_HEADER = 100L << 20;
  private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private SafeTensors() {}

  /** One tensor: shape in PyTorch order and values in row-major order. */
  public record Tensor(int[] shape, float[] data) {
    public Tensor {
      long n = 1;
      for (int d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape) + " has a negative dimension");
        }
        n *= d;
      }
      if (n != data.length) {
        throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
      }
    }
  }

  /** A whole file: tensors in header order, and the metadata map (empty when absent). */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

  public static Map<String, Tensor> read(Path file) throws IOException {
    return readContents(file).tensors();
  }

  public static Map<String, Tensor> read(InputStream in, String source) throws IOException {
    return readContents(in, source).tensors();
  }

  /** Parses a whole file's bytes; {@code source} names the file in errors. */
  public static Map<String, Tensor> read(byte[] bytes, String source) {
    try {
      return readContents(new ByteArrayInputStream(bytes), source).tensors();
    } catch (IOException e) {
      throw new IllegalStateException("reading from memory cannot fail", e);
    }
  }

  public static Contents readContents(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return readContents(in, file.toString());
    }
  }

  /**
   * Reads one safetensors file from {@code in} (to its end; the caller closes it).
   * {@code source} names the file in error messages. Corrupt or truncated input raises
   * IllegalArgumentException saying what is wrong.
   */
  public static Contents readContents(InputStream in, String source) throws IOException {
    byte[] lenBytes = in.readNBytes(8);
    if (lenBytes.length < 8) {
      throw bad(source, "is " + lenBytes.length + " bytes long, too short for a safetensors header");
    }
    long headerLen = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (new String(lenBytes, StandardCharsets.US_ASCII).equals("CNNSPARK")) {
      throw bad(source, "is a cnn-spark model file, not safetensors: give its model directory as --model, or turn it into"
          + " safetensors with 'cnn-spark export'");
    }
    if (headerLen < 2 || headerLen > MAX_HEADER) {
      throw bad(source, "declares a header of " + headerLen + " bytes (a safetensors header is 2 to " + MAX_HEADER
          + " bytes): it is not a safetensors file, or it is corrupt");
    }
    byte[] headerBytes = Bytes.readUpTo(in, headerLen);
    if (headerBytes.length < headerLen) {
      throw bad(source, "is truncated: it declares a header of " + headerLen + " bytes but holds only "
          + headerBytes.length + " after the length field");
    }
    JsonNode header;
    try {
      header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw bad(source, "has a header that is not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (header == null || !header.isObject()) {
      throw bad(source, "has a header that is not a JSON object");
    }

    Map<String, String> metadata = new LinkedHashMap<>();
    List<Entry> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        if (!e.getValue().isObject()) {
          throw bad(source, "has a __metadata__ entry that is not a JSON object");
        }
        e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
      } else {
        entries.add(entry(source, e.getKey(), e.getValue()));
      }
    }

    // The byte ranges must tile [0, dataLen) in order of their offsets: no overlap, no gap.
    List<Entry> byOffset = new ArrayList<>(entries);
    byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end)); // empty tensors first
    long dataLen = 0;
    for (Entry e : byOffset) {
      if (e.begin() != dataLen) {
        throw bad(source, "tensor '" + e.name() + "' has data_offsets [" + e.begin() + ", " + e.end() + "] but the previous tensor"
            + " ends at byte " + dataLen + (e.begin() < dataLen ? ": the tensors overlap" : ": there is a gap") + "; the file is corrupt");
      }
      dataLen = e.end();
    }
    byte[] data = Bytes.readUpTo(in, dataLen);
    if (data.length < dataLen) {
      throw bad(source, "is truncated: its header declares " + dataLen + " data bytes but only " + data.length
          + " follow the header (" + (8 + headerLen + dataLen) + " bytes expected in all); download or export it again");
    }
    if (in.read() >= 0) {
      throw bad(source, "has bytes after the " + dataLen + " data bytes its header declares; the file is corrupt");
    }

    ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Entry e : entries) {
      float[] values = new float[(int) e.count()];
      int p = (int) e.begin();
      for (int i = 0; i < values.length; i++, p += e.width()) {
        values[i] = switch (e.dtype()) {
          case "F32" -> bb.getFloat(p);
          case "F64" -> (float) bb.getDouble(p);
          case "I32" -> bb.getInt(p);
          default -> bb.getLong(p);
        };
      }
      out.put(e.name(), new Tensor(e.shape(), values));
    }
    return new Contents(out, metadata);
  }

  /** One header entry, checked on its own. */
  private record Entry(String name, String dtype, int width, int[] shape, long count, long begin, long end) {}

  private static Entry entry(String source, String name, JsonNode t) {
    String what = "tensor '" + name + "'";
    if (!t.isObject()) {
      throw bad(source, what + " is not a JSON object with dtype, shape and data_offsets");
    }
    String dtype = t.path("dtype").asText("");
    int width = switch (dtype) {
      case "F32", "I32" -> 4;
      case "F64", "I64" -> 8;
      default -> throw bad(source, what + " has dtype '" + dtype + "'; this reader takes F32, F64, I32 and I64"
          + " (convert the tensor to float32 before saving)");
    };
    JsonNode shapeNode = t.path("shape");
    JsonNode offs = t.path("data_offsets");
    if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
      throw bad(source, what + " lacks a shape array or a [begin, end] data_offsets pair");
    }
    int[] shape = new int[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
        throw bad(source, what + " has an invalid dimension " + d + " in shape " + shapeNode);
      }
      shape[i] = d.asInt();
      count *= shape[i];
      if (count > Integer.MAX_VALUE - 8) {
        throw bad(source, what + " of shape " + shapeNode + " is too large for this reader");
      }
    }
    for (JsonNode o : offs) {
      if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
        throw bad(source, what + " has invalid data_offsets " + offs);
      }
    }
    long begin = offs.get(0).asLong();
    long end = offs.get(1).asLong();
    if (end < begin || end - begin != count * width) {
      throw bad(source, what + " has data_offsets " + offs + " (" + (end - begin) + " bytes) but shape " + shapeNode
          + " of " + dtype + " needs " + count * width + " bytes; the file is corrupt");
    }
    if (end > Integer.MAX_VALUE - 8) {
      throw bad(source, what + " ends at byte " + end + ", past the 2 GB this reader takes");
    }
    return new Entry(name, dtype, width, shape, count, begin, end);
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
      if (e.getKey().equals("__metadata__")) {
        throw new IllegalArgumentException("a tensor cannot be named __metadata__");
      }
      boolean int64 = isInt64(e.getKey());
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
      boolean int64 = isInt64(e.getKey());
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
    out.flush();
  }

  /** Writes atomically: a temporary file beside the target, then a rename. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    AtomicFiles.write(file, out -> write(out, tensors, metadata));
  }

  /** PyTorch keeps BatchNorm's batch counter as int64; strict loading wants that dtype back. */
  private static boolean isInt64(String name) {
    return name.endsWith(".num_batches_tracked");
  }

  static IllegalArgumentException bad(String source, String what) {
    return new IllegalArgumentException("safetensors file " + source + " " + what);
  }
}
