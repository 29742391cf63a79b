package org.cnnspark.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelIoTest {
  static final String BN_SPEC = "conv(4,3,pad=1) batchnorm relu maxpool(2) flatten dense(3)";

  static Network bnNet(long seed) {
    return Network.create(ModelSpec.parse(BN_SPEC), Shape.parse("2x6x6"), Init.PYTORCH, seed);
  }

  static byte[] safetensors(Map<String, SafeTensors.Tensor> t) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SafeTensors.write(out, t, Map.of("format", "pt"));
    return out.toByteArray();
  }

  @Test
  void safetensorsRoundTripIsExact(@TempDir Path dir) throws IOException {
    Network a = bnNet(1);
    Path f = dir.resolve("w.safetensors");
    SafeTensors.write(f, StateDict.export(a), Map.of());
    Network b = bnNet(2);
    StateDict.load(b, SafeTensors.read(f), f.toString());
    assertArrayEquals(a.paramsArray(), b.paramsArray());
    // PyTorch's layout for the header: shapes and int64 batch counter
    String header = new String(Files.readAllBytes(f), 8, 600, java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(header.contains("\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[4,2,3,3]"), header);
    assertTrue(header.contains("\"bn1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[]"), header);
  }

  @Test
  void wrongNamesAndShapesAreListed() throws IOException {
    Network a = bnNet(1);
    Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>(StateDict.export(a));
    t.remove("fc1.bias");
    t.put("fc9.weight", new SafeTensors.Tensor(new int[] {1}, new float[1]));
    t.put("conv1.weight", new SafeTensors.Tensor(new int[] {4, 2, 9}, new float[72]));
    Map<String, SafeTensors.Tensor> read = SafeTensors.read(safetensors(t), "bad.safetensors");
    float[] before = a.paramsArray();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDict.load(a, read, "bad.safetensors"));
    String m = e.getMessage();
    assertTrue(m.contains("bad.safetensors") && m.contains("missing fc1.bias (3)") && m.contains("unexpected fc9.weight")
        && m.contains("conv1.weight has shape [4, 2, 9], expected (4, 2, 3, 3)"), m);
    assertArrayEquals(before, a.paramsArray(), "a refused load changes nothing");
  }

  @Test
  void corruptSafetensorsAreRefused() throws IOException {
    byte[] good = safetensors(StateDict.export(bnNet(1)));
    byte[] absurd = good.clone();
    ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 60);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(absurd, "x.safetensors"));
    assertTrue(e.getMessage().contains("x.safetensors declares a header of 1152921504606846976 bytes"), e.getMessage());
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 10);
    e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(truncated, "t.safetensors"));
    assertTrue(e.getMessage().contains("corrupt or truncated"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(new byte[3], "tiny"));
    assertTrue(e.getMessage().contains("too short"), e.getMessage());
  }

  static ModelFile modelFile(Network net) {
    return new ModelFile(net.spec(), net.inputShape(), new Normalization(new float[] {0.5f, 0.25f}, new float[] {0.3f, 0.2f}),
        List.of("cat", "dog", "eel"), Map.of("seed", "1", "kernels", "test"), OptimizerConfig.sgd(0.01, 0.9, true, 1e-4), 17,
        net.paramsArray(), new float[net.trainableSize()]);
  }

  @Test
  void modelFileRoundTripAndChecks(@TempDir Path dir) throws IOException {
    Network net = bnNet(3);
    ModelFile m = modelFile(net);
    Path f = dir.resolve("model.cnn");
    m.write(f);
    ModelFile r = ModelFile.read(f);
    assertEquals(m.spec(), r.spec());
    assertEquals(m.inputShape(), r.inputShape());
    assertArrayEquals(m.params(), r.params());
    assertArrayEquals(m.optimizerState(), r.optimizerState());
    assertEquals(m.classNames(), r.classNames());
    assertEquals(m.provenance(), r.provenance());
    assertEquals(m.optimizer(), r.optimizer());
    assertEquals(17, r.optimizerSteps());
    assertArrayEquals(m.normalization().std(), r.normalization().std());

    byte[] bytes = Files.readAllBytes(f);
    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 1;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFile.read(flipped, "m1"));
    assertTrue(e.getMessage().contains("m1 fails its checksum"), e.getMessage());
    byte[] future = bytes.clone();
    future[8] = 9;
    e = assertThrows(IllegalArgumentException.class, () -> ModelFile.read(future, "m2"));
    assertTrue(e.getMessage().contains("format version 9; this build reads version 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ModelFile.read(java.util.Arrays.copyOf(bytes, 40), "m3"));
    assertTrue(e.getMessage().contains("m3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ModelFile.read("not a model at all, really".getBytes(), "m4"));
    assertTrue(e.getMessage().contains("not a cnn-spark model file"), e.getMessage());
  }

  /** A file written by format version 1 (src/test/resources/compat) must keep loading. */
  @Test
  void keptVersionOneFileStillLoads() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/compat/model-v1.cnn")) {
      ModelFile m = ModelFile.read(in, "model-v1.cnn");
      Network net = Network.create(m.spec(), m.inputShape(), Init.PYTORCH, 0);
      net.setParams(m.params());
      assertArrayEquals(bnNet(3).paramsArray(), net.paramsArray());
      assertEquals(List.of("cat", "dog", "eel"), m.classNames());
    }
  }

  @Test
  void idxReadsRawAndGzipAndRefusesBadFiles() throws IOException {
    ByteBuffer img = ByteBuffer.allocate(16 + 2 * 3 * 2).putInt(0x803).putInt(2).putInt(3).putInt(2);
    for (int i = 0; i < 12; i++) {
      img.put((byte) (i * 20));
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(img.array());
    }
    for (byte[] b : new byte[][] {img.array(), gz.toByteArray()}) {
      Idx.Images im = Idx.readImages(new java.io.ByteArrayInputStream(b), "mem");
      assertEquals(2, im.count());
      assertEquals(3, im.rows());
      assertEquals((byte) 220, im.pixels()[11]);
    }
    byte[] cut = java.util.Arrays.copyOf(img.array(), 20);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Idx.readImages(new java.io.ByteArrayInputStream(cut), "cut-images-idx3-ubyte"));
    assertTrue(e.getMessage().contains("cut-images-idx3-ubyte is truncated: it declares 2 images of 3x2"), e.getMessage());
    byte[] labels = ByteBuffer.allocate(10).putInt(0x801).putInt(2).put((byte) 3).put((byte) 9).array();
    e = assertThrows(IllegalArgumentException.class, () -> Idx.readImages(new java.io.ByteArrayInputStream(labels), "l"));
    assertTrue(e.getMessage().contains("it is a labels file"), e.getMessage());
    assertArrayEquals(new int[] {3, 9}, Idx.readLabels(new java.io.ByteArrayInputStream(labels), "l"));
  }

  /** Writes the kept compatibility file; run once by hand when the format version changes. */
  public static void main(String[] args) throws IOException {
    modelFile(bnNet(3)).write(Path.of(args[0]));
  }
}
