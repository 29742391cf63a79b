package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Architecture strings (compact and JSON), their errors, and what a network built from one looks like. */
class ModelSpecTest {
  /** The text for the tutorial model, written out independently of ModelSpec.TUTORIAL_CNN. */
  static final String TUTORIAL =
      "conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten dense(128) relu dense(10)";

  @Test
  void tutorialCnnExpandsToTheTutorialModel() {
    ModelSpec spec = ModelSpec.parse("tutorial-cnn");
    assertEquals(ModelSpec.parse(TUTORIAL), spec);
    assertEquals(TUTORIAL, spec.toString());
    assertEquals(spec, ModelSpec.parse("  Tutorial-CNN "));
    List<String> types = spec.layers().stream().map(ModelSpec.LayerSpec::type).toList();
    assertEquals(List.of("conv", "relu", "maxpool", "conv", "relu", "maxpool", "flatten", "dense", "relu", "dense"), types);
  }

  /** Parameter counts by PyTorch's formulas: Conv2d OC*C*K*K + OC, Linear OUT*IN + OUT. */
  static int conv(int c, int oc, int k) {
    return oc * c * k * k + oc;
  }

  static int linear(int in, int out) {
    return out * in + out;
  }

  @Test
  void tutorialSummaryShowsNamesShapesAndPyTorchParameterCounts() {
    Network net = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("1x28x28"), Init.PYTORCH, 1);
    int conv1 = conv(1, 32, 3);
    int conv2 = conv(32, 64, 3);
    int fc1 = linear(64 * 7 * 7, 128);
    int fc2 = linear(128, 10);
    assertEquals(421_642, conv1 + conv2 + fc1 + fc2);
    assertEquals(conv1 + conv2 + fc1 + fc2, net.trainableSize());
    assertEquals(net.trainableSize(), net.totalSize(), "no buffers without batch-norm");
    assertEquals(10, net.numClasses());

    // rows: index, name (parametrised layers only), layer, output shape, parameter count
    String[][] expected = {
        {"0", "conv1", "conv(32,3,pad=1)", "32x28x28", String.format("%,d", conv1)},
        {"1", "relu", "32x28x28"},
        {"2", "maxpool(2)", "32x14x14"},
        {"3", "conv2", "conv(64,3,pad=1)", "64x14x14", String.format("%,d", conv2)},
        {"4", "relu", "64x14x14"},
        {"5", "maxpool(2)", "64x7x7"},
        {"6", "flatten", "3136x1x1"},
        {"7", "fc1", "dense(128)", "128x1x1", String.format("%,d", fc1)},
        {"8", "relu", "128x1x1"},
        {"9", "fc2", "dense(10)", "10x1x1", String.format("%,d", fc2)},
    };
    String summary = net.summary();
    List<String[]> rows = new ArrayList<>();
    for (String line : summary.split("\n")) {
      String[] cells = line.trim().split("\\s+");
      if (cells[0].matches("\\d+")) {
        rows.add(cells);
      }
    }
    assertEquals(expected.length, rows.size(), summary);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(List.of(expected[i]), List.of(rows.get(i)), "summary row " + i + " of\n" + summary);
    }
    assertTrue(summary.contains("input") && summary.contains("1x28x28"), summary);
    assertTrue(summary.contains("trainable parameters: 421,642"), summary);
    assertTrue(summary.contains("classes: 10"), summary);

    assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), net.names());
    assertEquals("(32, 1, 3, 3)", net.view("conv1.weight").shapeString());
    assertEquals("(64, 32, 3, 3)", net.view("conv2.weight").shapeString());
    assertEquals("(128, 3136)", net.view("fc1.weight").shapeString());
    assertEquals("(10, 128)", net.view("fc2.weight").shapeString());
    assertEquals("(10)", net.view("fc2.bias").shapeString());
  }

  @Test
  void shapesAreInferredForOtherInputs() {
    // 3x32x32: the tutorial's hand-written 64*5*5 would be wrong; 64*8*8 is inferred
    Network cifar = Network.create(ModelSpec.parse("tutorial-cnn"), Shape.parse("3x32x32"), Init.PYTORCH, 1);
    assertEquals("(128, 4096)", cifar.view("fc1.weight").shapeString());
    assertEquals(conv(3, 32, 3) + conv(32, 64, 3) + linear(4096, 128) + linear(128, 10), cifar.trainableSize());
    // floor division everywhere, as PyTorch: 7x5 -> conv k3 s2 p1 -> 4x3 -> maxpool(2) -> 2x1
    Network odd = Network.create(ModelSpec.parse("conv(6,3,stride=2,pad=1) maxpool(2) flatten dense(4)"),
        Shape.parse("3x7x5"), Init.PYTORCH, 1);
    assertEquals("(4, 12)", odd.view("fc1.weight").shapeString());
    assertEquals(new Shape(4, 1, 1), odd.outputShape());
  }

  @Test
  void batchNormNamesBuffersAndLayout() {
    Network net = Network.create(ModelSpec.parse("conv(8,3,bias=false) bn relu conv(4,1) batchnorm flatten dense(5)"),
        Shape.parse("3x6x5"), Init.PYTORCH, 1);
    assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "bn1.num_batches_tracked", "conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean",
        "bn2.running_var", "bn2.num_batches_tracked", "fc1.weight", "fc1.bias"), net.names());
    int trainable = 8 * 3 * 9 + 2 * 8 + conv(8, 4, 1) + 2 * 4 + linear(4 * 4 * 3, 5);
    assertEquals(trainable, net.trainableSize());
    assertEquals(trainable + (2 * 8 + 1) + (2 * 4 + 1), net.totalSize());
    // trainable tensors tile [0, trainableSize) in order; buffers follow
    int t = 0;
    int b = trainable;
    for (ParamView v : net.views()) {
      if (v.trainable()) {
        assertEquals(t, v.offset(), v.name());
        t += v.size();
      } else {
        assertEquals(b, v.offset(), v.name());
        b += v.size();
      }
    }
    assertEquals(net.trainableSize(), t);
    assertEquals(net.totalSize(), b);
    assertEquals(net.trainableSize(), net.grads().capacity());
    String summary = net.summary();
    assertTrue(summary.contains("bn1") && summary.contains("bn2"), summary);
    assertTrue(summary.contains(String.format("buffers: %d", 2 * 8 + 1 + 2 * 4 + 1)), summary);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      TUTORIAL,
      "conv(8,3,stride=2,pad=1,bias=false) batchnorm relu maxpool(3,stride=2,pad=1) avgpool(2,stride=1) flatten dropout(0.25) dense(10,bias=false)",
      "batchnorm(eps=0.001,momentum=0.2) conv(4,5,stride=3) flatten dense(1)",
      "flatten dropout(0.5) dense(3)",
      "conv(4,3,pad=1,bias=false) batchnorm relu res(conv(4,3,pad=1,bias=false) batchnorm relu conv(4,3,pad=1,bias=false) batchnorm) relu"
          + " res(conv(8,3,stride=2,pad=1) batchnorm | conv(8,1,stride=2,bias=false) batchnorm) relu gap flatten dense(10)",
  })
  void canonicalFormRoundTrips(String text) {
    ModelSpec spec = ModelSpec.parse(text);
    assertEquals(text, spec.toString(), "canonical form");
    assertEquals(spec, ModelSpec.parse(spec.toString()));
    assertEquals(spec.hashCode(), ModelSpec.parse(spec.toString()).hashCode());
  }

  @Test
  void aliasesDefaultsAndCaseAreNormalised() {
    ModelSpec a = ModelSpec.parse("Conv2d(8, 3, stride=1, padding=1, bias=TRUE)  BN  ReLU MaxPool2d(2,stride=2)"
        + " AvgPool2d(1) batchnorm2d flatten fc(6) linear(5, bias=true) dropout(p=0.5)");
    assertEquals("conv(8,3,pad=1) batchnorm relu maxpool(2) avgpool(1) batchnorm flatten dense(6) dense(5) dropout(0.5)",
        a.toString());
    assertNotEquals(ModelSpec.parse("conv(8,3)"), ModelSpec.parse("conv(8,3,pad=1)"));
  }

  @Test
  void jsonFormIsTheSameArchitecture() {
    ModelSpec compact = ModelSpec.parse("conv(8,3,stride=2,padding=1) bn relu maxpool(2) flatten linear(10,bias=false) dropout(0.25)");
    String layers = "[{\"type\": \"conv\", \"out\": 8, \"kernel\": 3, \"stride\": 2, \"pad\": 1},"
        + "{\"type\": \"BatchNorm2d\"}, {\"type\": \"relu\"}, {\"type\": \"maxpool\", \"kernel\": \"2\"}, {\"type\": \"flatten\"},"
        + "{\"type\": \"dense\", \"out\": 10, \"bias\": false}, {\"type\": \"dropout\", \"p\": 0.25}]";
    assertEquals(compact, ModelSpec.parse("{\"layers\": " + layers + "}"));
    assertEquals(compact, ModelSpec.parse(layers), "a bare array");
    assertEquals(compact, ModelSpec.parse(ModelSpec.parse(layers).toString()));
  }

  @Test
  void residualBlocksAreNamedAsTorchvisionNamesThem() {
    // resnet18's pattern: an identity-shortcut stage, then a stage that starts with a projection
    String basic = "res(conv(4,3,pad=1,bias=false) bn relu conv(4,3,pad=1,bias=false) bn) relu ";
    String down = "res(conv(8,3,stride=2,pad=1,bias=false) bn relu conv(8,3,pad=1,bias=false) bn"
        + " | conv(8,1,stride=2,bias=false) bn) relu ";
    Network net = Network.create(ModelSpec.parse("conv(4,3,pad=1,bias=false) bn relu maxpool(2) " + basic + basic + down
        + "res(conv(8,3,pad=1,bias=false) bn relu conv(8,3,pad=1,bias=false) bn) relu gap flatten dense(10)"),
        Shape.parse("3x16x16"), Init.PYTORCH, 1);
    List<String> names = net.names();
    for (String n : List.of("conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer1.0.bn2.bias",
        "layer1.1.conv2.weight", "layer2.0.conv1.weight", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight",
        "layer2.0.downsample.1.num_batches_tracked", "layer2.1.bn2.running_mean", "fc1.weight", "fc1.bias")) {
      assertTrue(names.contains(n), n + " in " + names);
    }
    assertEquals(List.of(8, 1, 1), List.of(net.layers().get(net.layers().size() - 3).out().c(),
        net.layers().get(net.layers().size() - 3).out().h(), net.layers().get(net.layers().size() - 3).out().w()), "gap");
    assertEquals(new int[] {8, 4, 1, 1}.length, net.view("layer2.0.downsample.0.weight").shape().length);
    assertEquals(8 * 4, net.view("layer2.0.downsample.0.weight").size());
    // a layer with parameters between two blocks ends a stage
    Network split = Network.create(ModelSpec.parse(basic + "conv(4,1) " + basic), Shape.parse("4x6x6"), Init.PYTORCH, 1);
    assertTrue(split.names().contains("layer2.0.conv1.weight"), split.names().toString());
    assertTrue(split.summary().contains("layer2.0"), split.summary());
  }

  @Test
  void presetsHaveTorchvisionsSizes() {
    // trainable parameters as torchvision counts them (sum(p.numel() for p in model.parameters()))
    assertEquals(11_689_512, size("resnet18", "3x224x224"));
    assertEquals(21_797_672, size("resnet34", "3x224x224"));
    assertEquals(25_557_032, size("resnet50", "3x224x224"));
    assertEquals(11_181_642, size("resnet18(classes=10)", "3x32x32"));
    assertEquals(11_181_642, size("ResNet18( classes = 10 )", "1x28x28") + 2 * 64 * 49, "one input channel");
    // He et al. 2016, CIFAR: 0.27M and 0.85M (with 1x1 projections where a stage halves the plane)
    assertEquals(272_474, size("resnet20", "3x32x32"));
    assertEquals(861_620, size("resnet56(classes=100)", "3x32x32"));
    Network net = Network.create(ModelSpec.parse("resnet20"), Shape.parse("3x32x32"), Init.PYTORCH, 1);
    assertTrue(net.names().containsAll(List.of("layer3.2.bn2.running_var", "layer3.0.downsample.0.weight", "fc.weight")),
        net.names().toString());
    assertEquals(ModelSpec.parse("resnet20"), ModelSpec.parse(ModelSpec.parse("resnet20").toString()), "written out");
    assertEquals("resnet50", Presets.bareResNet(" ResNet50 "), "a bare preset: training gives it the data's classes");
    assertEquals(null, Presets.bareResNet("resnet50(classes=10)"));
    assertEquals(null, Presets.bareResNet("tutorial-cnn"));
  }

  private static int size(String arch, String shape) {
    return Network.create(ModelSpec.parse(arch), Shape.parse(shape), Init.PYTORCH, 1).trainableSize();
  }

  @Test
  void layersCanBeNamed() {
    ModelSpec spec = ModelSpec.parse("conv(4,3,name=stem) relu(name=act) flatten dense(3,bias=false,name=head)");
    assertEquals("conv(4,3,name=stem) relu(name=act) flatten dense(3,bias=false,name=head)", spec.toString());
    Network net = Network.create(spec, Shape.parse("1x5x5"), Init.PYTORCH, 1);
    assertEquals(List.of("stem.weight", "stem.bias", "head.weight"), net.names());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Network.create(
        ModelSpec.parse("conv(4,3,name=fc1) flatten dense(3)"), Shape.parse("1x5x5"), Init.PYTORCH, 1));
    assertTrue(e.getMessage().contains("names two tensors fc1.weight"), e.getMessage());
  }

  @Test
  void jsonBlocksAreTheSameArchitecture() {
    ModelSpec compact = ModelSpec.parse("res(conv(4,3,pad=1) bn | conv(4,1)) relu gap");
    ModelSpec json = ModelSpec.parse("[{\"type\": \"residual\", \"main\": [{\"type\": \"conv\", \"out\": 4, \"kernel\": 3,"
        + " \"pad\": 1}, {\"type\": \"bn\"}], \"shortcut\": [{\"type\": \"conv\", \"out\": 4, \"kernel\": 1}]},"
        + " {\"type\": \"relu\"}, {\"type\": \"AdaptiveAvgPool2d\"}]");
    assertEquals(compact, json);
  }

  @Test
  void branchesThatDoNotMeetShowBothShapes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Network.create(
        ModelSpec.parse("conv(4,3,pad=1) res(conv(8,3,stride=2,pad=1) bn) relu"), Shape.parse("1x8x8"), Init.PYTORCH, 1));
    assertTrue(e.getMessage().contains("main branch gives 8x4x4 but the identity shortcut gives the input, 4x8x8"),
        e.getMessage());
    assertTrue(e.getMessage().contains("ERROR"), "the shape at every layer: " + e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "res() relu; res needs a main branch; ",
      "res; res needs a main branch; ",
      "res(conv(4,3) | conv(4,1) | conv(4,1)); has two '|'; ",
      "res(conv(4,3) softmax); unknown layer 'softmax'; ",
      "res(conv(4,3,pad=1) relu; is never closed; ",
      "gap(2); too many positional arguments; gap takes none",
      "resnet19; unknown layer 'resnet19'; whole models: tutorial-cnn, resnet18",
      "resnet18(10); takes one argument, classes; resnet18(classes=10)",
      "resnet50(classes=0); resnet50 needs classes >= 1; ",
      "dense(3,name=2fc); name='2fc' is not a plain name; ",
      "conv(32,3) relu pool(2); unknown layer 'pool'; known layers: conv, maxpool",
      "conv(32,3; after 'conv' at position 4 is never closed; conv(32,3",
      "conv(32,3)relu; expected a space after 'conv(32,3)' at position 10; ",
      "conv(32,3) ) relu; unexpected ')' at position 11; ",
      "conv(32); conv needs 'kernel'; e.g. conv(32,3,pad=1)",
      "dense(); dense needs 'out'; e.g. dense(128)",
      "conv(32,3,strid=2); conv has no argument 'strid'; ",
      "dense(10,pad=1); dense has no argument 'pad'; ",
      "relu(padding=1); relu has no argument 'padding'; ",
      "conv(8,3,pad=1,padding=2); both pad and padding; ",
      "conv(a,3); argument out='a' is not an integer; ",
      "conv(8,3,bias=yes); bias='yes' must be true or false; ",
      "batchnorm(eps=small); eps='small' is not a number; ",
      "conv(8,3,stride=2,1); positional argument '1' after a named one; ",
      "dense(10,5); too many positional arguments; dense takes out",
      "relu(1); too many positional arguments; relu takes none",
      "conv(0,3); conv needs out>0; ",
      "conv(8,3,stride=0); conv needs out>0, kernel>0, stride>0; ",
      "maxpool(3,pad=2); 0<=pad<=kernel/2; ",
      "avgpool(0); avgpool needs kernel>0; ",
      "dropout(1.5); dropout probability must be in [0, 1); ",
      "batchnorm(momentum=2); batchnorm needs eps>0 and momentum in [0,1]; ",
      "dense(-3); dense needs out > 0; ",
      "'   '; empty architecture; tutorial-cnn",
      "{\"layers\": 3}; needs a \"layers\" array; ",
      "{\"layers\": [{\"out\": 3}]}; layer 0 has no \"type\" string; ",
      "[{\"type\": \"conv\", \"out\": 3, \"kernel\": 3}, {\"type\": \"softmax\"}]; unknown layer 'softmax'; ",
      "{\"layers\": [; JSON does not parse; ",
      "[]; architecture has no layers; ",
  })
  void badSpecsAreRefusedWithTheReason(String spec, String message, String alsoSays) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse(spec.replace("'", "")));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    if (alsoSays != null) {
      assertTrue(e.getMessage().contains(alsoSays), e.getMessage());
    }
  }

  @Test
  void aSpecThatEmptiesTheInputShowsTheShapeAtEachLayer() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Network.create(
        ModelSpec.parse("conv(8,3) maxpool(2) conv(8,3) maxpool(2) conv(8,3) flatten dense(10)"), Shape.parse("1x12x12"), Init.PYTORCH, 1));
    List<String> lines = List.of(e.getMessage().split("\n"));
    assertTrue(lines.get(0).contains("does not fit input 1x12x12"), e.getMessage());
    // one line per layer up to the failing one, each with the shape it produces
    assertEquals(List.of("input 1x12x12", "conv(8,3) 8x10x10", "maxpool(2) 8x5x5", "conv(8,3) 8x3x3", "maxpool(2) 8x1x1"),
        lines.subList(1, 6).stream().map(s -> s.trim().replaceAll("\\s+", " ")).toList(), e.getMessage());
    assertTrue(lines.get(6).trim().startsWith("conv(8,3)") && lines.get(6).contains("ERROR")
        && lines.get(6).contains("empty output (-1x-1)") && lines.get(6).contains("smaller than the kernel 3"), e.getMessage());
    assertTrue(e.getMessage().contains("fix the layer marked ERROR"), e.getMessage());
    assertTrue(lines.stream().noneMatch(l -> l.contains("flatten")), "nothing after the failing layer: " + e.getMessage());
  }

  @Test
  void theFirstLayerCanBeTheOneThatDoesNotFit() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Network.create(ModelSpec.parse("maxpool(4) flatten dense(2)"), Shape.parse("2x3x9"), Init.PYTORCH, 1));
    assertTrue(e.getMessage().contains("input            2x3x9"), e.getMessage());
    assertTrue(e.getMessage().contains("maxpool(4) on input 2x3x9 gives an empty output (0x2)"), e.getMessage());
  }

  @Test
  void denseAfterAnImageAsksForFlatten() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Network.create(ModelSpec.parse("conv(4,3) dense(10)"), Shape.parse("1x8x8"), Init.PYTORCH, 1));
    assertTrue(e.getMessage().contains("dense(10) needs a flat input but gets 4x6x6: put 'flatten' before it"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "1x28; must be CxHxW",
      "1x28xa; positive integers",
      "0x28x28; must be positive",
  })
  void badInputShapesAreRefused(String text, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.parse(text));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void inputShapesParse() {
    assertEquals(new Shape(3, 32, 30), Shape.parse(" 3X32x30 "));
    assertEquals("3x32x30", new Shape(3, 32, 30).toString());
  }

  @Test
  void shapeRefusesTrailingSeparator() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.parse("1x28x28x"));
    assertTrue(e.getMessage().contains("must be CxHxW"), e.getMessage());
  }
}
