package org.cnnspark.driver.data;

import java.util.Objects;

/**
 * A run of decoded images as Spark caches them: uint8 pixels in NCHW order (one byte per pixel
 * per channel) and int labels (-1 when unknown). {@code firstIndex} is the global index of the
 * first record in the source, so order-dependent things (--no-shuffle, predict's CSV index) are
 * defined by the data, not by partitioning. Kryo serialises it with a FieldSerializer.
 */
public final class ImageBlock {
  private int channels;
  private int height;
  private int width;
  private int count;
  private long firstIndex;
  private byte[] pixels;
  private int[] labels;

  /** For Kryo. */
  @SuppressWarnings("unused")
  private ImageBlock() {}

  public ImageBlock(int channels, int height, int width, long firstIndex, byte[] pixels, int[] labels) {
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.firstIndex = firstIndex;
    this.pixels = Objects.requireNonNull(pixels);
    this.labels = Objects.requireNonNull(labels);
    this.count = labels.length;
    long need = (long) count * channels * height * width;
    if (pixels.length != need) {
      throw new IllegalArgumentException("block of " + count + " images of " + channels + "x" + height + "x" + width
          + " needs " + need + " pixel bytes, got " + pixels.length);
    }
  }

  public int channels() {
    return channels;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int imageSize() {
    return channels * height * width;
  }

  public int count() {
    return count;
  }

  public long firstIndex() {
    return firstIndex;
  }

  public byte[] pixels() {
    return pixels;
  }

  public int[] labels() {
    return labels;
  }
}
