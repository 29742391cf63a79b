package org.cnnspark.engine;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Pixel preprocessing: x = (p / 255 - mean[c]) / std[c], as torchvision's ToTensor followed by
 * an optional Normalize. The default (no mean/std) is ToTensor alone.
 */
public record Normalization(float[] mean, float[] std) {
  public static final Normalization SCALE_ONLY = new Normalization(null, null);

  public Normalization {
    if ((mean == null) != (std == null) || (mean != null && mean.length != std.length)) {
      throw new IllegalArgumentException("normalisation needs one mean and one std per channel");
    }
    if (std != null) {
      for (float s : std) {
        if (!(s > 0)) {
          throw new IllegalArgumentException("normalisation std must be > 0, got " + Arrays.toString(std));
        }
      }
    }
  }

  /** torchvision's ImageNet constants (the weights of its pretrained models expect them). */
  public static final Normalization IMAGENET = new Normalization(new float[] {0.485f, 0.456f, 0.406f},
      new float[] {0.229f, 0.224f, 0.225f});

  /**
   * The option's text: {@code none} (pixels / 255 alone), {@code imagenet}, or
   * {@code mean=M1[,M2,...],std=S1[,S2,...]}, one value per channel.
   */
  public static Normalization parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT).replace(" ", "");
    if (t.isEmpty() || t.equals("none")) {
      return SCALE_ONLY;
    }
    if (t.equals("imagenet")) {
      return IMAGENET;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("mean=([^=]+),std=([^=]+)|std=([^=]+),mean=([^=]+)").matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("--normalize '" + text + "': give none, imagenet, or mean=M1[,M2,...],std=S1[,S2,...]"
          + " with one value per channel, e.g. mean=0.286,std=0.353");
    }
    float[] mean = numbers(m.group(1) != null ? m.group(1) : m.group(4), text);
    float[] std = numbers(m.group(1) != null ? m.group(2) : m.group(3), text);
    if (mean.length != std.length) {
      throw new IllegalArgumentException("--normalize '" + text + "' has " + mean.length + " means and " + std.length
          + " stds: give one of each per channel");
    }
    return new Normalization(mean, std);
  }

  private static float[] numbers(String list, String text) {
    String[] parts = list.split(",");
    float[] out = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Float.parseFloat(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--normalize '" + text + "': '" + parts[i] + "' is not a number");
      }
      if (!Float.isFinite(out[i])) {
        throw new IllegalArgumentException("--normalize '" + text + "': " + parts[i] + " is not finite");
      }
    }
    return out;
  }

  /** Refuses a normalisation whose channel count is not the input's. */
  public void check(Shape input) {
    if (mean != null && mean.length != input.c()) {
      throw new IllegalArgumentException("normalisation has " + mean.length + " channel" + (mean.length == 1 ? "" : "s")
          + " but the input " + input + " has " + input.c() + ": give one mean and one std per channel");
    }
  }

  /** The option's text for this normalisation (parse gives it back). */
  public String text() {
    if (mean == null) {
      return "none";
    }
    StringBuilder sb = new StringBuilder("mean=");
    for (int i = 0; i < mean.length; i++) {
      sb.append(i == 0 ? "" : ",").append(mean[i]);
    }
    sb.append(",std=");
    for (int i = 0; i < std.length; i++) {
      sb.append(i == 0 ? "" : ",").append(std[i]);
    }
    return sb.toString();
  }

  /** Converts n images of shape s (uint8, NCHW) starting at image {@code first} into x. */
  public void apply(byte[] pixels, int first, int n, Shape s, FloatBuffer x) {
    int size = s.size();
    int hw = s.h() * s.w();
    if (mean != null && mean.length != s.c()) {
      throw new IllegalArgumentException("normalisation has " + mean.length + " channels, input has " + s.c());
    }
    int src = first * size;
    for (int i = 0; i < n * size; i++) {
      float v = (pixels[src + i] & 0xff) / 255f;
      if (mean != null) {
        int c = (i % size) / hw;
        v = (v - mean[c]) / std[c];
      }
      x.put(i, v);
    }
  }
}
