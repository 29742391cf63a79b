package org.cnnspark.engine;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training-time augmentation of uint8 images, torchvision's {@code RandomCrop(H, padding=pad)}
 * followed by {@code RandomHorizontalFlip()}: each image is shifted by up to {@code pad} pixels in
 * each direction (the uncovered border is 0) and mirrored with probability 1/2. The choices of
 * image i of a step come from (the step's seed, i) alone, so a retried task or a lost executor
 * sees the same images, and one worker sees what the engine alone sees.
 *
 * @param pad largest shift, 0 = none
 * @param flip whether to mirror half of the images
 */
public record Augmentation(int pad, boolean flip) implements java.io.Serializable {
  /** No augmentation: the images as they are (the behaviour without the option). */
  public static final Augmentation NONE = new Augmentation(0, false);

  /** Keeps the augmentation's random stream apart from dropout's, which also derives from the step seed. */
  private static final long STREAM = 0x6A09E667F3BCC909L;

  public Augmentation {
    if (pad < 0 || pad > 64) {
      throw new IllegalArgumentException("--augment crop=" + pad + ": the padding must be in [0, 64]");
    }
  }

  /** The option's text: {@code none}, or a comma-separated list of {@code crop=PAD} and {@code flip}. */
  public static Augmentation parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
    if (t.isEmpty() || t.equals("none")) {
      return NONE;
    }
    int pad = 0;
    boolean flip = false;
    for (String part : t.split(",")) {
      if (part.equals("flip")) {
        flip = true;
      } else if (part.startsWith("crop=")) {
        try {
          pad = Integer.parseInt(part.substring(5));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--augment '" + text + "': crop takes a padding in pixels, e.g. crop=4");
        }
      } else {
        throw new IllegalArgumentException("--augment '" + text + "': unknown '" + part
            + "'; give none, or crop=PAD and/or flip, e.g. crop=4,flip");
      }
    }
    return new Augmentation(pad, flip);
  }

  /** The option's text for this augmentation (parse gives it back). */
  public String text() {
    if (equals(NONE)) {
      return "none";
    }
    return pad > 0 && flip ? "crop=" + pad + ",flip" : pad > 0 ? "crop=" + pad : "flip";
  }

  public boolean isNone() {
    return equals(NONE);
  }

  /** Writes n augmented images of shape s from src (starting at image {@code first}) to dst[0, n * size). */
  public void apply(byte[] src, int first, int n, Shape s, long seed, byte[] dst) {
    int h = s.h();
    int w = s.w();
    int hw = h * w;
    int size = s.size();
    for (int i = 0; i < n; i++) {
      SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, STREAM, i));
      int dy = pad == 0 ? 0 : rng.nextInt(2 * pad + 1) - pad;
      int dx = pad == 0 ? 0 : rng.nextInt(2 * pad + 1) - pad;
      boolean mirror = flip && rng.nextBoolean();
      int in = (first + i) * size;
      int out = i * size;
      for (int c = 0; c < s.c(); c++) {
        for (int y = 0; y < h; y++) {
          int sy = y + dy;
          for (int x = 0; x < w; x++) {
            int sx = (mirror ? w - 1 - x : x) + dx;
            dst[out + c * hw + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[in + c * hw + sy * w + sx] : 0;
          }
        }
      }
    }
  }
}
