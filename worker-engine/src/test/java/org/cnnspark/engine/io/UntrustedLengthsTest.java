package org.cnnspark.engine.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.Normalization;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.JavaGemm;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;

/**
 * Lengths read from files are bounded before anything of that length is allocated: a file that
 * declares gigabytes but holds bytes costs bytes. Each case would, unchecked, allocate a large
 * array (or overflow an int) before noticing the file is too short.
 */
class UntrustedLengthsTest {

  /**
   * What refusing a lie may cost: the readers' bounded chunks (measured: 0.3 MB for the model
   * file, 1.5 MB for IDX, 16 MB for safetensors), far below the 0.8 to 3 GB the files declare.
   */
  static final long ALLOCATION_LIMIT = 64 << 20;

  static String message(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }

  /** The message of the refusal {@code r} must end in, checking what this thread allocated meanwhile. */
  static String refusedCheaply(Runnable r) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    String m = message(r);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(allocated < ALLOCATION_LIMIT, "refusing cost " + allocated + " bytes of heap: " + m);
    return m;
  }

  @Test
  void idxDeclaringAMillionImagesButHoldingOne() {
    ByteBuffer b = ByteBuffer.allocate(16 + 784);
    b.putInt(0x803).putInt(1_000_000).putInt(28).putInt(28);
    String m = refusedCheaply(() -> {
      try {
        Idx.readImages(new ByteArrayInputStream(b.array()), "liar-images");
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(m.contains("liar-images is truncated: it declares 1000000 images of 28x28 (784000000 bytes after the"
        + " header) but holds only 784"), m);
    ByteBuffer huge = ByteBuffer.allocate(16).putInt(0x803).putInt(Integer.MAX_VALUE).putInt(28).putInt(28);
    m = message(() -> {
      try {
        Idx.readImages(new ByteArrayInputStream(huge.array()), "huge-images");
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(m.contains("more than this reader takes in one array"), m);
  }

  @Test
  void modelHeaderDeclaringAHugeArchitecture() throws IOException {
    // A valid file (the checksum is not a defence) whose header names a 784-million-parameter
    // network while it holds 10 values: refused by counting, not by allocating 3 GB and failing.
    ModelFile liar = new ModelFile(ModelSpec.parse("flatten dense(1000000)"), new Shape(1, 28, 28),
        Normalization.SCALE_ONLY, List.of(), Map.of(), OptimizerConfig.sgd(0.1, 0, false, 0), 0, new float[10],
        new float[0]);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    liar.write(out);
    ModelFile read = ModelFile.read(out.toByteArray(), "liar.cnn");
    String m = refusedCheaply(() -> read.network(new JavaGemm(), "liar.cnn"));
    assertTrue(m.contains("liar.cnn holds 10 parameters but its architecture 'flatten dense(1000000)' on 1x28x28 has"
        + " 785000000; the file is corrupt"), m);
    // the count the check uses is the network's own
    ModelSpec small = ModelSpec.parse("conv(4,3,pad=1) relu maxpool(2) flatten dense(10)");
    assertTrue(ModelFile.declaredSize(small, new Shape(3, 8, 8))
        == Network.create(small, new Shape(3, 8, 8), Init.PYTORCH, 0).totalSize());
  }

  @Test
  void modelsTooLargeForTheFileAreRefusedBeforeTraining() {
    ModelFile.checkFits(50_000_000, 50_000_000);
    String m = message(() -> ModelFile.checkFits(300_000_000, 300_000_000));
    assertTrue(m.contains("a model of 300,000,000 parameters with 300,000,000 optimizer state values makes a model file"),
        m);
  }

  @Test
  void modelFileGivenAsSafetensors() throws IOException {
    byte[] model = "CNNSPARK\u0001\u0000\u0000\u0000...".getBytes(StandardCharsets.ISO_8859_1);
    String m = message(() -> {
      try {
        SafeTensors.read(new ByteArrayInputStream(model), "m.cnn");
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(m.contains("m.cnn is a cnn-spark model file, not safetensors"), m);
  }

  @Test
  void safetensorsDeclaringHugeTensorsReadOnlyWhatIsThere() throws IOException {
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[500000000],\"data_offsets\":[0,2000000000]}}";
    ByteBuffer b = ByteBuffer.allocate(8 + header.length() + 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
    String m = refusedCheaply(() -> {
      try {
        SafeTensors.read(new ByteArrayInputStream(b.array()), "liar.safetensors");
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(m.contains("liar.safetensors is truncated: its header declares 2000000000 data bytes but only 16"), m);
  }

  @Test
  void deeplyNestedHeaderIsRefusedNotAStackOverflow() {
    String header = "[".repeat(200_000) + "]".repeat(200_000);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
    String m = message(() -> {
      try {
        SafeTensors.read(new ByteArrayInputStream(b.array()), "deep.safetensors");
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(m.contains("deep.safetensors has a header that is not valid JSON"), m);
  }

  @Test
  void architecturesThatOverflowAreBadInputNotCrashes() {
    String m = message(() -> Network.create(ModelSpec.parse("flatten dense(99999999)"), new Shape(1, 28, 28),
        Init.PYTORCH, 0));
    assertTrue(m.contains("architecture 'flatten dense(99999999)' on input 1x28x28 has more than 2147483647 parameters"), m);
  }
}
