package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelSpecTest {

  @Test
  void tutorialCnnIsThePyTorchTutorialModel() {
    Network net = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("1x28x28"), Init.PYTORCH, 1);
    // nn.Conv2d(1,32,3): 32*9+32; Conv2d(32,64,3): 64*288+64; Linear(64*7*7,128); Linear(128,10)
    int expected = (32 * 9 + 32) + (64 * 288 + 64) + (3136 * 128 + 128) + (128 * 10 + 10);
    assertEquals(421_642, expected);
    assertEquals(expected, net.trainableSize());
    assertEquals(java.util.List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), net.names());
    assertEquals("(128, 3136)", net.view("fc1.weight").shapeString());
    String summary = net.summary();
    assertTrue(summary.contains("64x7x7"), summary);
    assertTrue(summary.contains("401,536"), summary);
    assertTrue(summary.contains("trainable parameters: 421,642"), summary);
    // 3x32x32: the tutorial's hand-written 64*5*5 would be wrong; here it is inferred
    Network cifar = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("3x32x32"), Init.PYTORCH, 1);
    assertEquals("(128, 4096)", cifar.view("fc1.weight").shapeString());
  }

  @Test
  void compactJsonAndAliasesAgree() {
    ModelSpec compact = ModelSpec.parse("conv(8,3,stride=2,padding=1) bn relu maxpool(2) flatten linear(10,bias=false) dropout(0.25)");
    ModelSpec json = ModelSpec.parse("{\"layers\": [{\"type\": \"conv\", \"out\": 8, \"kernel\": 3, \"stride\": 2, \"pad\": 1},"
        + "{\"type\": \"batchnorm\"}, {\"type\": \"relu\"}, {\"type\": \"maxpool\", \"kernel\": 2}, {\"type\": \"flatten\"},"
        + "{\"type\": \"dense\", \"out\": 10, \"bias\": false}, {\"type\": \"dropout\", \"p\": 0.25}]}");
    assertEquals(compact, json);
    assertEquals("conv(8,3,stride=2,pad=1) batchnorm relu maxpool(2) flatten dense(10,bias=false) dropout(0.25)", compact.toString());
    assertEquals(compact, ModelSpec.parse(compact.toString()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "conv(32,3) relu pool(2); unknown layer 'pool'",
      "conv(32,3; is never closed",
      "conv(32); needs 'kernel'",
      "conv(32,3,strid=2); no argument 'strid'",
      "conv(a,3); 'a' is not an integer",
      "dense(10,5); too many positional arguments",
      "dropout(1.5); dropout probability must be in [0, 1)",
      "conv(8,3) flatten dense(4) dense(x); 'x' is not an integer",
      "'   '; empty architecture",
      "{\"layers\": 3}; needs a \"layers\" array",
  })
  void badSpecsAreRefusedWithTheReason(String spec, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse(spec.replace("'", "")));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void aSpecThatEmptiesTheInputShowsTheShapeAtEachLayer() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Network.create(
        ModelSpec.parse("conv(8,3) maxpool(2) conv(8,3) maxpool(2) conv(8,3) flatten dense(10)"), Shape.parse("1x12x12"), Init.PYTORCH, 1));
    String m = e.getMessage();
    assertTrue(m.contains("input            1x12x12"), m);
    assertTrue(m.contains("conv(8,3)        8x10x10"), m);
    assertTrue(m.contains("maxpool(2)       8x5x5"), m);
    assertTrue(m.contains("ERROR") && m.contains("empty output"), m);
  }

  @Test
  void denseAfterAnImageAsksForFlatten() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Network.create(ModelSpec.parse("conv(4,3) dense(10)"), Shape.parse("1x8x8"), Init.PYTORCH, 1));
    assertTrue(e.getMessage().contains("put 'flatten' before it"), e.getMessage());
  }

  @Test
  void initialisationFollowsPyTorchAndTheSeed() {
    ModelSpec spec = ModelSpec.parse("tutorial-cnn");
    Network a = Network.create(spec, Shape.parse("1x28x28"), Init.PYTORCH, 7);
    Network b = Network.create(spec, Shape.parse("1x28x28"), Init.PYTORCH, 7);
    Network c = Network.create(spec, Shape.parse("1x28x28"), Init.PYTORCH, 8);
    assertTrue(java.util.Arrays.equals(a.paramsArray(), b.paramsArray()));
    assertTrue(!java.util.Arrays.equals(a.paramsArray(), c.paramsArray()));
    ParamView w = a.view("fc1.weight");
    double bound = 1 / Math.sqrt(3136);
    double maxAbs = 0;
    double sumSq = 0;
    for (int i = 0; i < w.size(); i++) {
      float v = a.params().get(w.offset() + i);
      maxAbs = Math.max(maxAbs, Math.abs(v));
      sumSq += v * v;
    }
    assertTrue(maxAbs <= bound && maxAbs > 0.99 * bound, "U(-1/sqrt(fan_in), 1/sqrt(fan_in)): max " + maxAbs);
    assertEquals(bound * bound / 3, sumSq / w.size(), 0.02 * bound * bound, "variance of U(-b, b) is b^2/3");
    Network he = Network.create(spec, Shape.parse("1x28x28"), Init.HE, 7);
    ParamView hw = he.view("fc1.weight");
    double s2 = 0;
    for (int i = 0; i < hw.size(); i++) {
      s2 += Math.pow(he.params().get(hw.offset() + i), 2);
    }
    assertEquals(2.0 / 3136, s2 / hw.size(), 0.05 * 2.0 / 3136, "He: variance 2/fan_in");
    assertEquals(0f, he.params().get(he.view("fc1.bias").offset()));
  }
}
