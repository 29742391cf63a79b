package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.kernels.Gemm;

/**
 * A layer of a sequential network, PyTorch semantics, NCHW activations in off-heap buffers.
 *
 * <p>Life cycle: the network calls {@link #outputShape} and {@link #params} while it lays out the
 * flat buffers, then {@link #bind} once; after that {@code forward} and {@code backward} alternate.
 * A layer owns its output and input-gradient buffers (sized for the largest batch seen) and keeps a
 * reference to its last input for the backward pass. Backward <em>adds</em> into the parameter
 * gradients; the caller zeroes them. One instance is used by one thread at a time.
 */
public abstract class Layer {
  protected Shape in;
  protected Shape out;
  protected Gemm gemm;
  /** The network's flat parameter and gradient buffers; each layer keeps where its tensors start. */
  protected FloatBuffer params;
  protected FloatBuffer grads;
  /** Output of the last forward, gradient w.r.t. the input of the last backward, last input. */
  protected FloatBuffer y;
  protected FloatBuffer dx;
  protected FloatBuffer x;

  /** Spec-string form of this layer, e.g. {@code conv(32,3,pad=1)}. */
  public abstract String spec();

  /** The name the spec gave this layer ({@code dense(10,name=fc)}), used instead of a numbered one; or null. */
  private String name;

  public final String name() {
    return name;
  }

  public final void setName(String name) {
    this.name = name;
  }

  /** {@link #spec} with the given name, if any: {@code dense(10,name=fc)}, {@code relu(name=act)}. */
  public final String fullSpec() {
    String s = spec();
    if (name == null) {
      return s;
    }
    return s.endsWith(")") ? s.substring(0, s.length() - 1) + ",name=" + name + ")" : s + "(name=" + name + ")";
  }

  /** Name family for parameters: conv, fc, bn; null when the layer has no parameters. */
  public String family() {
    return null;
  }

  /** Output shape for an input shape; IllegalArgumentException saying why it cannot be built. */
  public abstract Shape outputShape(Shape in);

  /** The tensors this layer owns, in PyTorch's state_dict order. */
  public List<ParamDef> params(Shape in) {
    return List.of();
  }

  /**
   * Binds to the flat buffers: {@code offsets} maps the suffix of each tensor of {@link #params}
   * (weight, bias, ...) to where it starts in params (and, when trainable, in grads).
   */
  public final void bind(Shape in, FloatBuffer params, FloatBuffer grads, Map<String, Integer> offsets, Gemm gemm) {
    this.in = in;
    this.out = outputShape(in);
    this.params = params;
    this.grads = grads;
    this.gemm = gemm;
    bound(offsets);
  }

  /** The end of bind: a layer keeps its tensors' offsets in named fields and sizes what depends on the shapes. */
  protected void bound(Map<String, Integer> offsets) {}

  public Shape in() {
    return in;
  }

  public Shape out() {
    return out;
  }

  /** Forward over n examples; returns the output buffer (valid until the next forward). */
  public abstract FloatBuffer forward(FloatBuffer x, int n, boolean training);

  /**
   * Backward over the n examples of the last forward. Adds parameter gradients; returns dx
   * (or null when {@code needDx} is false: the first layer's input needs no gradient).
   */
  public abstract FloatBuffer backward(FloatBuffer dy, int n, boolean needDx);

  /** Seeds this layer's randomness for the next forward (dropout); others ignore it. */
  public void seed(long seed) {}

  /**
   * Element-wise loops run on heap arrays: C2 vectorises them, while every get/put on a direct
   * buffer costs ~1 ns. Layers move data between the two with bulk copies (memcpy) of one
   * cache-resident tile at a time.
   */
  protected static float[] tile(float[] t, int n) {
    return t != null && t.length >= n ? t : new float[n];
  }

  /** True when a neighbouring layer does this layer's work (see Conv2d's fused epilogue). */
  protected boolean fused;

  public void setFused(boolean fused) {
    this.fused = fused;
  }

  public boolean isFused() {
    return fused;
  }

  protected FloatBuffer outBuffer(int n) {
    y = org.cnnspark.engine.Buffers.ensure(y, (long) n * out.size());
    return y;
  }

  protected FloatBuffer dxBuffer(int n) {
    dx = org.cnnspark.engine.Buffers.ensure(dx, (long) n * in.size());
    return dx;
  }
}
