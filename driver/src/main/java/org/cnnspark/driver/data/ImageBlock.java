package org.cnnspark.driver.data;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.util.Objects;

/**
 * A run of decoded images as Spark caches them: uint8 pixels in NCHW order (one byte per pixel
 * per channel) and int labels (-1 when unknown). Every record carries its global index in the
 * source ({@link #index}), so order-dependent things (--no-shuffle, predict's CSV index) are
 * defined by the data, not by partitioning. A block of consecutive records stores only the first
 * index; a block of a mixed split (see {@link DataSplit}) stores them all. Kryo serialises it with
 * a FieldSerializer; Java serialization (Spark's default) with the layout of {@link #writeObject}.
 */
public final class ImageBlock implements Serializable {
  private static final long serialVersionUID = 1L;
  /** None: the stream holds {@link #writeObject}'s layout, not Java's description of the fields. */
  private static final ObjectStreamField[] serialPersistentFields = {};

  private int channels;
  private int height;
  private int width;
  private int count;
  private long firstIndex;
  /** Global index of each record, increasing; null = firstIndex, firstIndex + 1, ... */
  private long[] indices;
  private byte[] pixels;
  private int[] labels;

  /** For Kryo. */
  @SuppressWarnings("unused")
  private ImageBlock() {}

  /** Records of global indices firstIndex, firstIndex + 1, ... */
  public ImageBlock(int channels, int height, int width, long firstIndex, byte[] pixels, int[] labels) {
    this(channels, height, width, firstIndex, null, pixels, labels);
  }

  /** Records of the given global indices (increasing, one per label). */
  public ImageBlock(int channels, int height, int width, long[] indices, byte[] pixels, int[] labels) {
    this(channels, height, width, indices.length > 0 ? indices[0] : 0, indices, pixels, labels);
  }

  private ImageBlock(int channels, int height, int width, long firstIndex, long[] indices, byte[] pixels,
      int[] labels) {
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.firstIndex = firstIndex;
    this.indices = indices;
    this.pixels = Objects.requireNonNull(pixels);
    this.labels = Objects.requireNonNull(labels);
    this.count = labels.length;
    check();
  }

  private void check() {
    long need = (long) count * channels * height * width;
    if (pixels.length != need) {
      throw new IllegalArgumentException("block of " + count + " images of " + channels + "x" + height + "x" + width
          + " needs " + need + " pixel bytes, got " + pixels.length);
    }
    if (indices != null && indices.length != count) {
      throw new IllegalArgumentException("block of " + count + " images has " + indices.length + " indices");
    }
  }

  /**
   * Java serialization's layout: channels, height, width (int), firstIndex (long), then indices
   * (long[] or null), pixels (byte[]) and labels (int[]) as arrays, which ObjectOutputStream writes
   * in bulk.
   */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeInt(channels);
    out.writeInt(height);
    out.writeInt(width);
    out.writeLong(firstIndex);
    out.writeObject(indices);
    out.writeObject(pixels);
    out.writeObject(labels);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    channels = in.readInt();
    height = in.readInt();
    width = in.readInt();
    firstIndex = in.readLong();
    indices = (long[]) in.readObject();
    pixels = (byte[]) in.readObject();
    labels = (int[]) in.readObject();
    if (pixels == null || labels == null) {
      throw new InvalidObjectException("image block without pixels or labels");
    }
    count = labels.length;
    try {
      check();
    } catch (IllegalArgumentException e) {
      throw new InvalidObjectException(e.getMessage());
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

  /** The global index of the first record. */
  public long firstIndex() {
    return firstIndex;
  }

  /** The global index of record i of this block. */
  public long index(int i) {
    return indices == null ? firstIndex + i : indices[i];
  }

  /** Whether the records have consecutive global indices (from {@link #firstIndex}). */
  public boolean contiguous() {
    return indices == null;
  }

  public byte[] pixels() {
    return pixels;
  }

  public int[] labels() {
    return labels;
  }
}
