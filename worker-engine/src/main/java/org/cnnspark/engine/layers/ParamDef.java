package org.cnnspark.engine.layers;

/**
 * One named tensor a layer owns, in PyTorch's layout. Trainable tensors get gradients and
 * optimizer state; buffers (BatchNorm running statistics) are carried and averaged only.
 *
 * @param suffix  PyTorch's attribute name: weight, bias, running_mean, ...
 * @param shape   PyTorch's shape, e.g. (OC, C, K, K) for a convolution weight
 * @param init    how a fresh model fills it
 */
public record ParamDef(String suffix, int[] shape, boolean trainable, Init init, int fanIn, int fanOut) {

  /** How a fresh tensor is filled; WEIGHT and BIAS follow the model's chosen scheme. */
  public enum Init { WEIGHT, BIAS, ZEROS, ONES }

  public int size() {
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }
}
