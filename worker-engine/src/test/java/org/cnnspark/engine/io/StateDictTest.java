package org.cnnspark.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Buffers;
import org.cnnspark.engine.Init;
import org.cnnspark.engine.ModelSpec;
import org.cnnspark.engine.Network;
import org.cnnspark.engine.ParamView;
import org.cnnspark.engine.Shape;
import org.junit.jupiter.api.Test;

/** Loading a state dict with --init-skip: the skipped tensors keep their fresh values, whatever the file holds there. */
class StateDictTest {
  static final Shape SHAPE = Shape.parse("3x16x16");

  @Test
  void skippedTensorsKeepTheirFreshValuesAndTheFilesAreIgnored() {
    // weights of a 1000-class resnet20 into a 10-class one: everything but the head
    Network source = Network.create(ModelSpec.parse("resnet20(classes=1000)"), SHAPE, Init.PYTORCH, 1);
    Network target = Network.create(ModelSpec.parse("resnet20(classes=10)"), SHAPE, Init.PYTORCH, 2);
    float[] fresh = target.paramsArray();
    Map<String, SafeTensors.Tensor> file = StateDict.export(source);
    assertThrows(IllegalArgumentException.class, () -> StateDict.load(target, file, "r1000.safetensors"),
        "the head does not fit without --init-skip");
    List<String> kept = StateDict.load(target, file, "r1000.safetensors", List.of("fc"));
    assertEquals(List.of("fc.weight", "fc.bias"), kept);
    for (ParamView v : target.views()) {
      float[] got = Buffers.toArray(target.params().slice(v.offset(), v.size()), v.size());
      float[] want = v.name().startsWith("fc.") ? java.util.Arrays.copyOfRange(fresh, v.offset(), v.offset() + v.size())
          : file.get(v.name()).data();
      assertArrayEquals(want, got, v.name());
    }
    // a whole stage, and a prefix written with its dot
    assertTrue(StateDict.load(target, file, "f", List.of("layer3.", "fc")).containsAll(
        List.of("layer3.0.conv1.weight", "layer3.2.bn2.num_batches_tracked", "fc.bias")));
  }

  @Test
  void aPrefixThatNamesNothingIsRefusedWithTheNames() {
    Network net = Network.create(ModelSpec.parse("conv(4,3) flatten dense(10)"), Shape.parse("1x5x5"), Init.PYTORCH, 1);
    Map<String, SafeTensors.Tensor> file = new LinkedHashMap<>(StateDict.export(net));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StateDict.load(net, file, "w.safetensors", List.of("fc")));
    assertTrue(e.getMessage().contains("--init-skip fc names no tensor") && e.getMessage().contains("fc1.weight"),
        e.getMessage());
    assertTrue(StateDict.load(net, file, "w.safetensors", List.of("fc1")).containsAll(List.of("fc1.weight", "fc1.bias")),
        "fc1 is not fc1x");
  }
}
