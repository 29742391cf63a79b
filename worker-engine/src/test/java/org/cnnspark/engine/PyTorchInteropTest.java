package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cnnspark.engine.io.SafeTensors;
import org.cnnspark.engine.io.StateDict;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The other direction of GoldenTest: weights exported here load into PyTorch with
 * {@code load_state_dict(strict=True)} (names, shapes, the int64 batch counter) and give the same
 * eval-mode probabilities. Runs src/test/python/make_golden.py --check; skipped where PyTorch
 * is not installed (Debian: apt-get install -y python3-torch libopenblas0-openmp).
 */
class PyTorchInteropTest {
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final Path SCRIPT = Path.of("src/test/python/make_golden.py");

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({
      "'conv(5,3,pad=1) batchnorm relu maxpool(2) flatten dropout(0.5) dense(4)', 2x9x7",
      "tutorial-cnn, 3x32x32",
      "'conv(4,3,pad=1,bias=false) bn relu res(conv(4,3,pad=1,bias=false) bn relu conv(4,3,pad=1,bias=false) bn) relu"
          + " res(conv(6,3,stride=2,pad=1,bias=false) bn | conv(6,1,stride=2,bias=false) bn) relu gap flatten dense(5)', 3x9x8",
      // a preset goes into torchvision's own model, not one built from the spec
      "resnet18(classes=7), 3x32x32"})
  void ourExportLoadsStrictlyInPyTorch(String arch, String shape, @TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON + ": install python3-torch to run this check");
    Network net = Network.create(ModelSpec.parse(arch), Shape.parse(shape), Init.PYTORCH, 11);
    int n = 3;
    FloatBuffer x = Buffers.allocate((long) n * net.inputShape().size());
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < x.capacity(); i++) {
      x.put(i, (float) r.nextDouble());
    }
    net.forward(x, n, true, 1); // moves batch-norm running statistics away from 0 and 1
    net.forward(x, n, true, 2);
    Path weights = dir.resolve("weights.safetensors");
    Map<String, String> meta = new java.util.HashMap<>(Map.of("spec", net.spec().toString(), "input_shape", shape));
    if (arch.startsWith("resnet")) {
      meta.put("torchvision", arch.substring(0, arch.indexOf('(')));
      meta.put("classes", Integer.toString(net.numClasses()));
    }
    SafeTensors.write(weights, StateDict.export(net), meta);
    Path input = dir.resolve("input.safetensors");
    SafeTensors.write(input, Map.of("x", new SafeTensors.Tensor(
        new int[] {n, net.inputShape().c(), net.inputShape().h(), net.inputShape().w()}, Buffers.toArray(x, x.capacity()))), Map.of());

    JsonNode out = runCheck(weights, input);
    int k = net.numClasses();
    FloatBuffer probs = Buffers.allocate((long) n * k);
    SoftmaxCrossEntropy.softmax(net.forward(x, n, false, 0), n, k, probs, 0);
    float[] theirs = new float[n * k];
    for (int i = 0; i < theirs.length; i++) {
      theirs[i] = (float) out.get("probs").get(i).asDouble();
    }
    GoldenTest.assertAbs("PyTorch probabilities of our export, " + arch, theirs, Buffers.toArray(probs, n * k), GoldenTest.PROB_TOL);
    long batchNorms = net.names().stream().filter(name -> name.endsWith(".num_batches_tracked")).count();
    assertEquals(batchNorms, out.get("counters").size());
    out.get("counters").forEach(dtype -> assertEquals("torch.int64", dtype.asText(), "batch counters are int64 as in PyTorch"));
  }

  static JsonNode runCheck(Path weights, Path input) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), "--check", weights.toString(), input.toString());
    pb.environment().put("LD_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu/openblas-openmp");
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.redirectError(ProcessBuilder.Redirect.PIPE);
    Process p = pb.start();
    byte[] stdout = p.getInputStream().readAllBytes();
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python did not finish");
    Assumptions.assumeFalse(stderr.contains("No module named 'torch'") || stderr.contains("No module named 'numpy'"),
        "PyTorch is not installed: apt-get install -y python3-torch libopenblas0-openmp");
    Assumptions.assumeFalse(stderr.contains("No module named 'torchvision'"),
        "torchvision is not installed: apt-get install -y python3-torchvision");
    assertEquals(0, p.exitValue(), "PyTorch refused our export:\n" + stderr);
    return new ObjectMapper().readTree(stdout);
  }
}
