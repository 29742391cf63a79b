package org.cnnspark.engine;

/** Shape of one example (C, H, W); a flat vector is (C, 1, 1). Batches add a leading N. */
public record Shape(int c, int h, int w) implements java.io.Serializable {

  public Shape {
    if (c <= 0 || h <= 0 || w <= 0) {
      throw new IllegalArgumentException("shape dimensions must be positive, got " + c + "x" + h + "x" + w);
    }
  }

  public static Shape vector(int n) {
    return new Shape(n, 1, 1);
  }

  /** Parses {@code CxHxW}, e.g. {@code 1x28x28}. */
  public static Shape parse(String s) {
    String[] parts = s.trim().toLowerCase().split("x", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("input shape '" + s + "' must be CxHxW, e.g. 1x28x28 or 3x32x32");
    }
    try {
      return new Shape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("input shape '" + s + "' must be CxHxW with positive integers, e.g. 1x28x28");
    }
  }

  public int size() {
    return Math.multiplyExact(Math.multiplyExact(c, h), w);
  }

  public boolean isVector() {
    return h == 1 && w == 1;
  }

  @Override
  public String toString() {
    return c + "x" + h + "x" + w;
  }
}
