package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.cnnspark.engine.optim.AdamW;
import org.cnnspark.engine.optim.OptimizerConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * --freeze in the engine: frozen tensors (batch-norm statistics included) keep their bits through
 * training while the rest moves, whatever the optimizer and its weight decay, on one thread and
 * two; backward stops below the lowest layer that trains.
 */
class FreezeTest {
  static final String RESNET = "conv(4,3,pad=1,bias=false) bn relu res(conv(4,3,pad=1,bias=false) bn relu"
      + " conv(4,3,pad=1,bias=false) bn) relu res(conv(6,3,stride=2,pad=1,bias=false) bn | conv(6,1,stride=2,bias=false) bn)"
      + " relu gap flatten dense(10)";

  @ParameterizedTest(name = "{0} freeze {1} {2} threads={3}")
  @CsvSource(delimiter = ';', value = {
      "conv(4,3,pad=1,bias=false) bn relu flatten dense(10); conv1,bn1; sgd; 1",
      "conv(4,3,pad=1,bias=false) bn relu flatten dense(10); conv1,bn1; adamw; 2",
      RESNET + "; conv1,bn1,layer1; sgd; 2",
      RESNET + "; layer2.0.downsample,fc1.bias; adam; 1",
  })
  void frozenTensorsKeepTheirBitsWhileTheRestTrains(String arch, String freeze, String opt, int threads) {
    Network net = Network.create(ModelSpec.parse(arch), Shape.parse("2x8x8"), Init.PYTORCH, 3);
    GradientCheckTest.randomizeParameters(net, new SplittableRandom(2)); // BN statistics away from 0 and 1
    List<String> prefixes = List.of(freeze.split(","));
    net.freeze(prefixes);
    float[] before = net.paramsArray();
    OptimizerConfig config = switch (opt) {
      case "sgd" -> OptimizerConfig.sgd(0.05, 0.9, true, 0.01);
      case "adam" -> OptimizerConfig.adam(0.01, 0.9, 0.999, 1e-8, 0.01);
      default -> AdamW.TYPE.defaults();
    };
    try (Trainer t = new Trainer(net, config, threads, Normalization.SCALE_ONLY)) {
      SplittableRandom r = new SplittableRandom(7);
      byte[] px = new byte[16 * 2 * 64];
      int[] labels = new int[16];
      for (int step = 0; step < 4; step++) {
        for (int i = 0; i < px.length; i++) {
          px[i] = (byte) r.nextInt(256);
        }
        for (int i = 0; i < labels.length; i++) {
          labels[i] = r.nextInt(10);
        }
        t.trainBatch(px, labels, 0, 16, step);
      }
      float[] after = net.paramsArray();
      float[] state = t.optimizer().stateArray();
      int frozenTensors = 0;
      for (ParamView v : net.views()) {
        float[] a = Arrays.copyOfRange(before, v.offset(), v.offset() + v.size());
        float[] b = Arrays.copyOfRange(after, v.offset(), v.offset() + v.size());
        boolean frozenTensor = prefixes.stream().anyMatch(p -> Network.under(v.name(), p))
            || !v.trainable() && frozenBatchNorm(v.name(), prefixes);
        if (frozenTensor) {
          assertArrayEquals(a, b, v.name() + " is frozen");
          frozenTensors++;
          if (v.trainable()) {
            for (int k = 0; k < state.length / net.trainableSize(); k++) {
              for (int i = 0; i < v.size(); i++) {
                assertEquals(0f, state[k * net.trainableSize() + v.offset() + i], v.name() + " optimizer state");
              }
            }
          }
        } else if (v.trainable()) {
          assertFalse(Arrays.equals(a, b), v.name() + " trains");
        }
      }
      assertTrue(frozenTensors >= 2, "frozen: " + frozenTensors);
    }
  }

  /** A batch norm's buffers are frozen with its weight. */
  private static boolean frozenBatchNorm(String buffer, List<String> prefixes) {
    String layer = buffer.substring(0, buffer.lastIndexOf('.'));
    return prefixes.stream().anyMatch(p -> Network.under(layer + ".weight", p));
  }

  @Test
  void backwardStopsBelowTheLowestLayerThatTrains() {
    String arch = "conv(4,3) relu conv(5,3) relu flatten dense(10)";
    Network free = Network.create(ModelSpec.parse(arch), Shape.parse("1x9x9"), Init.PYTORCH, 1);
    Network frozen = Network.create(ModelSpec.parse(arch), Shape.parse("1x9x9"), Init.PYTORCH, 1);
    frozen.freeze(List.of("conv1"));
    FloatBuffer x = Buffers.of(Probe.gaussian(3 * 81, new SplittableRandom(1)));
    FloatBuffer dy = Buffers.of(Probe.gaussian(3 * 10, new SplittableRandom(2)));
    for (Network n : List.of(free, frozen)) {
      n.zeroGrads();
      n.forward(x, 3, true, 0);
      n.backward(dy, 3);
    }
    ParamView conv1 = free.view("conv1.weight");
    float[] g1 = Buffers.toArray(free.grads(), free.trainableSize());
    float[] g2 = Buffers.toArray(frozen.grads(), frozen.trainableSize());
    assertArrayEquals(Arrays.copyOfRange(g1, conv1.offset() + conv1.size() + 4, g1.length),
        Arrays.copyOfRange(g2, conv1.offset() + conv1.size() + 4, g2.length), "the layers above get the same gradients");
    assertTrue(Arrays.stream(box(Arrays.copyOfRange(g2, conv1.offset(), conv1.offset() + conv1.size()))).allMatch(f -> f == 0f),
        "no backward through the frozen first layer");
    assertFalse(Arrays.stream(box(Arrays.copyOfRange(g1, conv1.offset(), conv1.offset() + conv1.size()))).allMatch(f -> f == 0f));
  }

  private static Float[] box(float[] a) {
    Float[] b = new Float[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = a[i];
    }
    return b;
  }

  @Test
  void prefixesThatNameNothingOrEverythingAreRefused() {
    Network net = Network.create(ModelSpec.parse("conv(4,3) bn flatten dense(10)"), Shape.parse("1x5x5"), Init.PYTORCH, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.freeze(List.of("fc")));
    assertTrue(e.getMessage().contains("--freeze fc names no trainable tensor") && e.getMessage().contains("fc1.weight"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> net.freeze(List.of("bn1.running_mean")));
    assertTrue(e.getMessage().contains("names no trainable tensor"), "buffers are not trainable: " + e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> net.freeze(List.of("conv1", "bn1", "fc1")));
    assertTrue(e.getMessage().contains("freezes every trainable tensor"), e.getMessage());
  }
}
