package org.cnnspark.engine;

/** A named tensor inside a flat buffer: PyTorch name, PyTorch shape, where it starts. */
public record ParamView(String name, int[] shape, int offset, int size, boolean trainable) {

  public String shapeString() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i > 0 ? ", " : "").append(shape[i]);
    }
    return sb.append(')').toString();
  }
}
