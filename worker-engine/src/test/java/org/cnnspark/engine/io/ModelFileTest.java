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
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Trainer;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.optim.Optimizer;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
  static final OptimizerConfig ADAM = OptimizerConfig.adam(1e-3, 0.9, 0.999, 1e-8, 1e-4);

  /** A model after two Adam steps: parameters, running statistics and optimizer state all non-trivial. */
  static ModelFile trained() {
    Network net = SafeTensorsTest.bnNet(3);
    try (Trainer t = new Trainer(net, ADAM, 1, Normalization.SCALE_ONLY)) {
      FloatBuffer x = Buffers.allocate(4 * net.inputShape().size());
      for (int i = 0; i < x.capacity(); i++) {
        x.put(i, (i % 7) / 7f);
      }
      int[] labels = {0, 2, 1, 2};
      t.trainBatch(x, labels, 4, 1);
      t.trainBatch(x, labels, 4, 2);
      Map<String, String> prov = new java.util.LinkedHashMap<>(ModelFile.basicProvenance(net.gemm()));
      prov.put("seed", "3");
      return ModelFile.of(net, new Normalization(new float[] {0.5f, 0.25f}, new float[] {0.3f, 0.2f}),
          List.of("cat", "dog", "eel"), prov, ADAM, t.optimizer());
    }
  }

  static byte[] bytes(ModelFile m) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.write(out);
    return out.toByteArray();
  }

  /** Recomputes the trailing checksum, so that a test reaches the checks after it. */
  static byte[] reseal(byte[] b) {
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
    return b;
  }

  static String readError(byte[] b, String source) {
    return assertThrows(IllegalArgumentException.class, () -> ModelFile.read(b, source)).getMessage();
  }

  @Test
  void roundTripRestoresNetworkAndOptimizer(@TempDir Path dir) throws IOException {
    ModelFile m = trained();
    Path f = dir.resolve("model.cnn");
    m.write(f);
    ModelFile r = ModelFile.read(f);
    assertEquals(m.spec(), r.spec());
    assertEquals(m.inputShape(), r.inputShape());
    assertArrayEquals(m.params(), r.params());
    assertArrayEquals(m.optimizerState(), r.optimizerState());
    assertEquals(m.classNames(), r.classNames());
    assertEquals(m.provenance(), r.provenance());
    assertTrue(r.provenance().get("kernels").length() > 0 && r.provenance().containsKey("cpu"), r.provenance().toString());
    assertEquals(m.optimizer(), r.optimizer());
    assertEquals(2, r.optimizerSteps());
    assertArrayEquals(m.normalization().mean(), r.normalization().mean());
    assertArrayEquals(m.normalization().std(), r.normalization().std());

    Network net = r.network(Kernels.gemm(), f.toString());
    assertArrayEquals(m.params(), net.paramsArray());
    Optimizer opt = r.restoreOptimizer(net, f.toString());
    assertEquals(2, opt.steps());
    assertArrayEquals(m.optimizerState(), opt.stateArray());
    assertArrayEquals(bytes(m), Files.readAllBytes(f), "the stream and path writers give the same bytes");
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file is left behind");
    }
  }

  @Test
  void failedWriteLeavesTheOldFile(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("model.cnn");
    ModelFile m = trained();
    m.write(f);
    byte[] before = Files.readAllBytes(f);
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
      out.write(new byte[1000]);
      throw new IOException("disk full");
    }));
    assertEquals("disk full", e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(f));
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "the temporary file is removed");
    }
  }

  @Test
  void checksumCatchesCorruptionAndTruncation() throws IOException {
    byte[] good = bytes(trained());
    byte[] flipped = good.clone();
    flipped[good.length - 40] ^= 1; // inside the optimizer state
    String m = readError(flipped, "m1.cnn");
    assertTrue(m.startsWith("model file m1.cnn fails its checksum"), m);
    assertTrue(m.contains("truncated or corrupt"), m);
    m = readError(Arrays.copyOf(good, good.length - 100), "cut.cnn");
    assertTrue(m.startsWith("model file cut.cnn fails its checksum"), m);
    m = readError(Arrays.copyOf(good, 20), "short.cnn");
    assertTrue(m.startsWith("model file short.cnn is truncated: 20 bytes"), m);
  }

  @Test
  void otherFormatVersionsAreNamed() throws IOException {
    byte[] good = bytes(trained());
    byte[] future = good.clone();
    ByteBuffer.wrap(future).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
    String m = readError(future, "new.cnn");
    assertTrue(m.contains("new.cnn has format version 2; this build of cnn-spark reads version 1: read it with a newer cnn-spark"), m);
    byte[] old = good.clone();
    ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0);
    assertTrue(readError(old, "old.cnn").contains("old.cnn has format version 0; this build of cnn-spark reads version 1"));
  }

  @Test
  void otherFilesAreNotModels() throws IOException {
    String m = readError("not a model at all, really".getBytes(StandardCharsets.US_ASCII), "notes.txt");
    assertTrue(m.startsWith("model file notes.txt is not a cnn-spark model file"), m);
    ByteArrayOutputStream st = new ByteArrayOutputStream();
    SafeTensors.write(st, StateDict.export(SafeTensorsTest.bnNet(1)), Map.of());
    m = readError(st.toByteArray(), "w.safetensors");
    assertTrue(m.contains("it looks like a safetensors file"), m);
    assertTrue(readError(new byte[0], "empty").contains("empty is not a cnn-spark model file"));
  }

  @Test
  void lengthsAreBoundedByTheFile() throws IOException {
    byte[] good = bytes(trained());
    ByteBuffer bb = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = bb.getInt(12);
    byte[] hugeHeader = good.clone();
    ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putInt(12, Integer.MAX_VALUE);
    String m = readError(reseal(hugeHeader), "h.cnn");
    assertTrue(m.contains("h.cnn declares a header of 2147483647 bytes, more than the"), m);
    byte[] hugeParams = good.clone();
    ByteBuffer.wrap(hugeParams).order(ByteOrder.LITTLE_ENDIAN).putInt(16 + headerLen, 1 << 30);
    m = readError(reseal(hugeParams), "p.cnn");
    assertTrue(m.contains("p.cnn declares 1073741824 parameter values, more than the"), m);
  }

  @Test
  void headerIsValidated() throws IOException {
    ModelFile m = trained();
    byte[] good = bytes(m);
    int headerLen = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
    String header = new String(good, 16, headerLen, StandardCharsets.UTF_8);
    assertTrue(header.contains("\"architecture\":\"" + m.spec() + "\""), header);
    // same-length edits keep every offset valid
    String badSpec = header.replace("\"architecture\":\"conv(", "\"architecture\":\"cnvv(");
    assertTrue(readError(withHeader(good, badSpec), "s.cnn").contains("s.cnn has an invalid header: architecture"));
    String noArch = header.replace("\"architecture\"", "\"architectur_\"");
    assertTrue(readError(withHeader(good, noArch), "a.cnn").contains("a.cnn has no 'architecture' in its header"));
  }

  static byte[] withHeader(byte[] good, String header) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    byte[] b = good.clone();
    System.arraycopy(h, 0, b, 16, h.length);
    return reseal(b);
  }

  @Test
  void parameterCountMustFitTheArchitecture() {
    ModelFile m = trained();
    ModelFile wrong = new ModelFile(m.spec(), m.inputShape(), m.normalization(), m.classNames(), m.provenance(),
        m.optimizer(), m.optimizerSteps(), Arrays.copyOf(m.params(), m.params().length - 1), m.optimizerState());
    String e = assertThrows(IllegalArgumentException.class, () -> wrong.network(Kernels.gemm(), "w.cnn")).getMessage();
    assertTrue(e.contains("model file w.cnn holds " + (m.params().length - 1) + " parameters but its architecture"), e);
    Network net = m.network(Kernels.gemm(), "m.cnn");
    ModelFile badState = new ModelFile(m.spec(), m.inputShape(), m.normalization(), m.classNames(), m.provenance(),
        m.optimizer(), m.optimizerSteps(), m.params(), new float[5]);
    e = assertThrows(IllegalArgumentException.class, () -> badState.restoreOptimizer(net, "o.cnn")).getMessage();
    assertTrue(e.contains("model file o.cnn holds 5 optimizer state values but adam on"), e);
  }

  /**
   * A file written by format version 1 and kept in src/test/resources/compat must keep loading
   * as long as this build claims to read version 1. The expected values are facts of that file.
   */
  @Test
  void keptVersionOneFileStillLoads() throws IOException {
    ModelFile m;
    try (InputStream in = getClass().getResourceAsStream("/compat/model-v1.cnn")) {
      m = ModelFile.read(in, "model-v1.cnn");
    }
    assertEquals("conv(4,3,pad=1) batchnorm relu maxpool(2) flatten dense(3)", m.spec().toString());
    assertEquals("2x6x6", m.inputShape().toString());
    assertEquals(List.of("cat", "dog", "eel"), m.classNames());
    assertEquals(Map.of("kernels", "test", "seed", "1"), m.provenance());
    assertEquals(OptimizerConfig.sgd(0.01, 0.9, true, 1e-4), m.optimizer());
    assertEquals(17, m.optimizerSteps());
    assertArrayEquals(new float[] {0.5f, 0.25f}, m.normalization().mean());
    assertArrayEquals(new float[] {0.3f, 0.2f}, m.normalization().std());
    assertArrayEquals(new float[] {0.11196714f, 0.043997332f, 0.06281179f, 0.13849145f}, Arrays.copyOf(m.params(), 4));
    double sum = 0;
    for (float v : m.params()) {
      sum += v;
    }
    assertEquals(7.17126562, sum, 1e-6);
    // The pure-Java kernels, whose bits do not depend on the CPU: the model predicts the bits it
    // predicted when this check was written, so a change in reading the file or in the numerics shows.
    Network net = m.network(Kernels.byName("java"), "model-v1.cnn");
    assertEquals(204, net.totalSize());
    assertEquals(17, m.restoreOptimizer(net, "model-v1.cnn").steps());
    FloatBuffer x = Buffers.allocate(2L * net.inputShape().size());
    for (int i = 0; i < x.capacity(); i++) {
      x.put(i, (i % 7) / 7f);
    }
    assertArrayEquals(new float[] {0.05537583f, -0.3442151f, -0.19911203f, 0.13993047f, -0.22358036f, -0.26518425f},
        Buffers.toArray(net.forward(x, 2, false, 0), 6), "eval-mode logits of two images");
  }

  /**
   * Writes a compatibility file for src/test/resources/compat/ when the format version changes
   * (model-vN.cnn beside the kept older ones, which stay): run once by hand with the path.
   */
  public static void main(String[] args) throws IOException {
    trained().write(Path.of(args[0]));
  }
}
