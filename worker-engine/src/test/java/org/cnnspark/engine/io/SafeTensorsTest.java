package org.cnnspark.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.SafeTensors.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  static final String BN_SPEC = "conv(4,3,pad=1) batchnorm relu maxpool(2) flatten dense(3)";

  /** A small batch-norm network after one training forward: running statistics and batch counter are non-trivial. */
  static Network bnNet(long seed) {
    Network net = Network.create(ModelSpec.parse(BN_SPEC), Shape.parse("2x6x6"), Init.PYTORCH, seed);
    SplittableRandom r = new SplittableRandom(seed);
    FloatBuffer x = Buffers.allocate(3 * net.inputShape().size());
    for (int i = 0; i < x.capacity(); i++) {
      x.put(i, (float) r.nextGaussian());
    }
    net.forward(x, 3, true, seed);
    return net;
  }

  static byte[] bytes(Map<String, Tensor> t) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SafeTensors.write(out, t, Map.of("format", "pt"));
    return out.toByteArray();
  }

  /** A file from a hand-written header and data, for the corrupt cases. */
  static byte[] raw(String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }

  static String readError(byte[] file, String name) {
    return assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(file, name)).getMessage();
  }

  @Test
  void roundTripIsExact(@TempDir Path dir) throws IOException {
    Network a = bnNet(1);
    assertEquals(1f, a.params().get(a.view("bn1.num_batches_tracked").offset()), "one training forward was counted");
    Path f = dir.resolve("w.safetensors");
    SafeTensors.write(f, StateDict.export(a), Map.of("spec", BN_SPEC));
    Network b = Network.create(ModelSpec.parse(BN_SPEC), Shape.parse("2x6x6"), Init.PYTORCH, 2);
    SafeTensors.Contents c = SafeTensors.readContents(f);
    StateDict.load(b, c.tensors(), f.toString());
    assertArrayEquals(a.paramsArray(), b.paramsArray());
    assertEquals(Map.of("spec", BN_SPEC), c.metadata());
    assertEquals(a.names(), c.tensors().keySet().stream().toList(), "the network's order is kept");
    // PyTorch's header: shapes in its layout, the batch counter as a 0-d int64
    byte[] file = Files.readAllBytes(f);
    long headerLen = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, (8 + headerLen) % 8, "data starts 8-byte aligned");
    String header = new String(file, 8, (int) headerLen, StandardCharsets.UTF_8);
    assertTrue(header.contains("\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[4,2,3,3]"), header);
    assertTrue(header.contains("\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[3,36]"), header);
    assertTrue(header.contains("\"bn1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[]"), header);
    // the stream and byte-array readers agree with the path reader
    assertArrayEquals(c.tensors().get("fc1.weight").data(),
        SafeTensors.read(new ByteArrayInputStream(file), "s").get("fc1.weight").data());
    assertArrayEquals(c.tensors().get("bn1.running_var").data(), SafeTensors.read(file, "b").get("bn1.running_var").data());
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file is left behind");
    }
  }

  @Test
  void readsOtherDtypesAsFloat() {
    String header = "{\"__metadata__\":{\"format\":\"pt\"},"
        + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
        + "\"l\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]},"
        + "\"i\":{\"dtype\":\"I32\",\"shape\":[1,2],\"data_offsets\":[24,32]},"
        + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[32,32]}}";
    byte[] f = raw(header, 32);
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    int data = f.length - 32;
    b.putDouble(data, 1.5).putDouble(data + 8, -2.25).putLong(data + 16, 7).putInt(data + 24, -3).putInt(data + 28, 40);
    Map<String, Tensor> t = SafeTensors.read(f, "mixed.safetensors");
    assertArrayEquals(new float[] {1.5f, -2.25f}, t.get("d").data());
    assertArrayEquals(new float[] {7}, t.get("l").data());
    assertArrayEquals(new int[0], t.get("l").shape());
    assertArrayEquals(new float[] {-3, 40}, t.get("i").data());
    assertEquals(0, t.get("e").data().length);
  }

  @Test
  void wrongNamesAndShapesAreListedAndNothingChanges() throws IOException {
    Network a = bnNet(1);
    Map<String, Tensor> t = new LinkedHashMap<>(StateDict.export(a));
    t.remove("fc1.bias");
    t.put("fc9.weight", new Tensor(new int[] {1}, new float[1]));
    t.put("conv1.weight", new Tensor(new int[] {4, 2, 9}, new float[72]));
    t.put("fc1.weight", new Tensor(new int[] {36, 3}, new float[108])); // transposed
    Map<String, Tensor> read = SafeTensors.read(bytes(t), "bad.safetensors");
    float[] before = a.paramsArray();
    String m = assertThrows(IllegalArgumentException.class, () -> StateDict.load(a, read, "bad.safetensors")).getMessage();
    assertTrue(m.startsWith("bad.safetensors does not match the architecture '" + BN_SPEC + "' on input 2x6x6"), m);
    assertTrue(m.contains("missing fc1.bias (3)"), m);
    assertTrue(m.contains("unexpected fc9.weight (1)"), m);
    assertTrue(m.contains("conv1.weight has shape (4, 2, 9), expected (4, 2, 3, 3)"), m);
    assertTrue(m.contains("fc1.weight has shape (36, 3), expected (3, 36)"), m);
    assertArrayEquals(before, a.paramsArray(), "a refused load changes nothing");
  }

  @Test
  void prefixedNamesGetAHint() {
    Network a = bnNet(1);
    Map<String, Tensor> t = new LinkedHashMap<>();
    StateDict.export(a).forEach((k, v) -> t.put("module." + k, v));
    String m = assertThrows(IllegalArgumentException.class, () -> StateDict.load(a, t, "dp.safetensors")).getMessage();
    assertTrue(m.contains("missing conv1.weight") && m.contains("unexpected module.conv1.weight"), m);
    assertTrue(m.contains("under the prefix 'module.'"), m);
  }

  @Test
  void absurdHeaderLength() throws IOException {
    byte[] f = bytes(StateDict.export(bnNet(1)));
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 60);
    String m = readError(f, "x.safetensors");
    assertTrue(m.startsWith("safetensors file x.safetensors declares a header of 1152921504606846976 bytes"), m);
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -5);
    assertTrue(readError(f, "n.safetensors").contains("n.safetensors declares a header of -5 bytes"));
    // within the limit but longer than the file: truncated, not an allocation of that size
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 90L << 20);
    m = readError(f, "h.safetensors");
    assertTrue(m.contains("h.safetensors is truncated: it declares a header of 94371840 bytes but holds only " + (f.length - 8)), m);
  }

  @Test
  void truncatedOrTooLongData() throws IOException {
    byte[] good = bytes(StateDict.export(bnNet(1)));
    String m = readError(Arrays.copyOf(good, good.length - 10), "t.safetensors");
    assertTrue(m.startsWith("safetensors file t.safetensors is truncated: its header declares"), m);
    assertTrue(m.contains("but only " + (good.length - 10 - 8 - headerLength(good)) + " follow the header"), m);
    m = readError(Arrays.copyOf(good, good.length + 3), "long.safetensors");
    assertTrue(m.contains("long.safetensors has bytes after the"), m);
    assertTrue(readError(new byte[3], "tiny").contains("tiny is 3 bytes long, too short"));
  }

  static long headerLength(byte[] f) {
    return ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
  }

  @Test
  void badOffsets() {
    String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    String m = readError(raw(overlap, 12), "o.safetensors");
    assertTrue(m.contains("o.safetensors tensor 'b' has data_offsets [4, 12] but the previous tensor ends at byte 8: the tensors overlap"), m);
    String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}";
    assertTrue(readError(raw(gap, 16), "g").contains("there is a gap"));
    String wrongSize = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,10]}}";
    m = readError(raw(wrongSize, 10), "w.safetensors");
    assertTrue(m.contains("w.safetensors tensor 'a' has data_offsets [0,10] (10 bytes) but shape [3] of F32 needs 12 bytes"), m);
    String past = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,4000000]}}";
    assertTrue(readError(raw(past, 8), "p").contains("p is truncated: its header declares 4000000 data bytes but only 8"));
    String negative = "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
    assertTrue(readError(raw(negative, 4), "neg").contains("tensor 'a' has an invalid dimension -1"));
    String fraction = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}";
    assertTrue(readError(raw(fraction, 4), "f").contains("invalid data_offsets [0,4.5]"));
  }

  @Test
  void badHeaders() {
    assertTrue(readError(raw("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2), "h.safetensors")
        .contains("h.safetensors tensor 'a' has dtype 'F16'; this reader takes F32, F64, I32 and I64"));
    String dup = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    String m = readError(raw(dup, 8), "dup");
    assertTrue(m.contains("dup has a header that is not valid JSON (Duplicate field 'a')"), m);
    assertTrue(readError(raw("[1, 2]", 0), "arr").contains("arr has a header that is not a JSON object"));
    assertTrue(readError(raw("{not json}", 0), "nj").contains("nj has a header that is not valid JSON"));
    assertTrue(readError(raw("{\"a\":{\"dtype\":\"F32\"}}", 0), "ns").contains("tensor 'a' lacks a shape array"));
    assertTrue(readError(raw("{\"__metadata__\":[1]}", 0), "md").contains("md has a __metadata__ entry that is not a JSON object"));
  }
}
