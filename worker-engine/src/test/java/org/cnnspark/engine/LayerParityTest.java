package org.cnnspark.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every layer, and whole networks, on the pure-Java kernels against the native ones: the same
 * parameters and inputs must give the same logits, input gradient and parameter gradients up to
 * float summation order (1e-5 of each tensor's size), in training and eval, fused and not, on
 * awkward shapes and odd batch sizes.
 */
class LayerParityTest {

  @ParameterizedTest(name = "{1} on {0} n={2}")
  @CsvSource(delimiter = ';', value = {
      // single layers
      "3x7x5   ; conv(4,3)                                  ; 5",
      "3x7x5   ; conv(4,3,stride=2,pad=1,bias=false)        ; 5",
      "3x7x5   ; conv(5,1,stride=3,pad=2)                   ; 3",
      "3x7x5   ; conv(3,5,pad=2)                            ; 1",
      "1x20x20 ; conv(7,3)                                  ; 5",
      "2x40x40 ; conv(3,3,stride=2)                         ; 5",
      "1x28x28 ; conv(32,3,pad=1)                           ; 3",
      "3x7x5   ; maxpool(3,stride=2,pad=1)                  ; 5",
      "3x7x5   ; avgpool(2,stride=1)                        ; 5",
      "3x7x5   ; relu                                       ; 5",
      "3x7x5   ; batchnorm                                  ; 5",
      "3x7x5   ; dropout(0.4)                               ; 5",
      "17x1x1  ; dense(33)                                  ; 7",
      "65x1x1  ; dense(3,bias=false)                        ; 1",
      "3x7x5   ; flatten dense(127)                         ; 5",
      // networks
      "3x7x5   ; conv(3,1) conv(4,3,pad=1) relu maxpool(2) flatten dense(5)                              ; 5",
      "2x9x11  ; conv(5,3,stride=2,pad=1) relu conv(3,5,pad=2,bias=false) avgpool(2) flatten dense(3)     ; 5",
      "1x13x13 ; conv(7,4,stride=3) relu maxpool(3,stride=2,pad=1) flatten dense(9,bias=false) relu dense(4) ; 5",
      "3x10x6  ; conv(4,3,pad=1) batchnorm relu maxpool(2) flatten dropout(0.3) dense(6)                   ; 5",
      "1x28x28 ; tutorial-cnn                                                                          ; 3",
      "3x32x32 ; tutorial-cnn                                                                          ; 2",
      "3x1x1   ; conv(8,3,pad=1)                            ; 5",
      "1x2x2   ; conv(4,5,pad=2) relu maxpool(2) flatten dense(5) ; 5",
      "3x8x6   ; gap flatten dense(4)                                                              ; 5",
      "3x9x7   ; conv(4,3,pad=1) batchnorm relu res(conv(4,3,pad=1,bias=false) batchnorm relu conv(4,3,pad=1) batchnorm) relu res(conv(6,3,stride=2,pad=1) batchnorm | conv(6,1,stride=2,bias=false) batchnorm) relu gap flatten dense(5) ; 4",
  })
  void javaAndNativeKernelsAgree(String shapeText, String specText, int n) {
    agree(shapeText, specText, n, "native");
    agree(shapeText, specText, n, "dnnl");
  }

  private void agree(String shapeText, String specText, int n, String kernels) {
    Shape shape = Shape.parse(shapeText.trim());
    ModelSpec spec = ModelSpec.parse(specText.trim());
    for (boolean fuse : new boolean[] {true, false}) {
      Network a = Network.create(spec, shape, Init.PYTORCH, 2, Probe.backend("java"), fuse);
      Network b = Network.create(spec, shape, Init.PYTORCH, 2, Probe.backend(kernels), fuse);
      GradientCheckTest.randomizeParameters(a, new SplittableRandom(4));
      GradientCheckTest.randomizeParameters(b, new SplittableRandom(4));
      assertArrayEquals(a.paramsArray(), b.paramsArray(), "same parameters on both backends");
      SplittableRandom rng = new SplittableRandom(1);
      FloatBuffer x = Probe.gaussianBuffer(n * shape.size(), rng);
      float[] dy = Probe.gaussian(n * a.numClasses(), rng);
      for (boolean training : new boolean[] {true, false}) {
        String what = kernels + ": " + specText.trim() + " on " + shape + " n=" + n + " training=" + training + " fuse=" + fuse;
        Probe.assertClose(what + " logits", Probe.forward(a, x, n, training, 9), Probe.forward(b, x, n, training, 9), 1e-5);
        a.zeroGrads();
        b.zeroGrads();
        Probe.assertClose(what + " dx", Probe.backwardWithInputGradient(a, dy, n), Probe.backwardWithInputGradient(b, dy, n), 1e-5);
        // a tensor with a zero true gradient (a bias before batch-norm) holds rounding noise only
        double floor = 0.1 * Probe.rms(Buffers.toArray(a.grads(), a.trainableSize()));
        for (ParamView v : a.views()) {
          if (v.trainable()) {
            Probe.assertClose(what + " d" + v.name(), Probe.grads(a, v), Probe.grads(b, v), 1e-5, floor);
          }
        }
        // batch-norm running statistics move identically too
        Probe.assertClose(what + " parameters and buffers", a.paramsArray(), b.paramsArray(), 1e-6);
      }
    }
  }
}
