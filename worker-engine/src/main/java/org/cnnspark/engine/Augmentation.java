package org.cnnspark.engine;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training-time augmentation of uint8 images, as torchvision composes it: either {@code
 * RandomCrop(H, padding=pad)} (each image shifted by up to {@code pad} pixels each way, the
 * uncovered border 0) or {@code RandomResizedCrop((H, W), scale=(minScale, 1))} (a box of a random
 * area and aspect ratio resized back to H x W, bilinearly), then {@code RandomHorizontalFlip()}
 * (mirrored with probability 1/2). The choices of image i of a step come from (the step's seed, i)
 * alone, so a retried task or a lost executor sees the same images, and one worker sees what the
 * engine alone sees.
 *
 * @param pad largest shift, 0 = none
 * @param flip whether to mirror half of the images
 * @param minScale the smallest area a resized crop keeps, as a fraction of the image's; 0 = no
 *     resized crop (the behaviour before the option had it)
 */
public record Augmentation(int pad, boolean flip, double minScale) implements java.io.Serializable {
  /** No augmentation: the images as they are (the behaviour without the option). */
  public static final Augmentation NONE = new Augmentation(0, false, 0);

  /** torchvision's RandomResizedCrop default smallest area. */
  public static final double DEFAULT_MIN_SCALE = 0.08;

  /** Keeps the augmentation's random stream apart from dropout's, which also derives from the step seed. */
  private static final long STREAM = 0x6A09E667F3BCC909L;

  /** torchvision's RandomResizedCrop aspect ratios, 3/4 to 4/3, drawn uniformly in log space. */
  private static final double LOG_RATIO_MIN = Math.log(3.0 / 4.0);
  private static final double LOG_RATIO_MAX = Math.log(4.0 / 3.0);

  public Augmentation {
    if (pad < 0 || pad > 64) {
      throw new IllegalArgumentException("--augment crop=" + pad + ": the padding must be in [0, 64]");
    }
    if (!(minScale == 0 || (minScale > 0 && minScale <= 1))) {
      throw new IllegalArgumentException("--augment resized-crop=" + minScale
          + ": the smallest area must be in (0, 1], e.g. resized-crop=0.08 (torchvision's default)");
    }
    if (pad > 0 && minScale > 0) {
      throw new IllegalArgumentException("--augment: give crop=PAD or resized-crop, not both");
    }
  }

  /** A shift-and-flip augmentation (no resized crop). */
  public Augmentation(int pad, boolean flip) {
    this(pad, flip, 0);
  }

  /**
   * The option's text: {@code none}, or a comma-separated list of {@code crop=PAD} or {@code
   * resized-crop[=MIN_SCALE]}, and {@code flip}.
   */
  public static Augmentation parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
    if (t.isEmpty() || t.equals("none")) {
      return NONE;
    }
    int pad = 0;
    boolean flip = false;
    double minScale = 0;
    for (String part : t.split(",")) {
      if (part.equals("flip")) {
        flip = true;
      } else if (part.startsWith("crop=")) {
        try {
          pad = Integer.parseInt(part.substring(5));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--augment '" + text + "': crop takes a padding in pixels, e.g. crop=4");
        }
      } else if (part.equals("resized-crop")) {
        minScale = DEFAULT_MIN_SCALE;
      } else if (part.startsWith("resized-crop=")) {
        try {
          minScale = Double.parseDouble(part.substring(13));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--augment '" + text
              + "': resized-crop takes the smallest area as a fraction, e.g. resized-crop=0.25");
        }
        if (minScale == 0) {
          throw new IllegalArgumentException("--augment '" + text + "': the smallest area must be in (0, 1]");
        }
      } else {
        throw new IllegalArgumentException("--augment '" + text + "': unknown '" + part
            + "'; give none, or crop=PAD or resized-crop[=MIN_AREA], and/or flip, e.g. crop=4,flip");
      }
    }
    return new Augmentation(pad, flip, minScale);
  }

  /** The option's text for this augmentation (parse gives it back). */
  public String text() {
    if (equals(NONE)) {
      return "none";
    }
    String crop = pad > 0 ? "crop=" + pad : minScale > 0 ? "resized-crop=" + minScale : "";
    return crop.isEmpty() ? "flip" : flip ? crop + ",flip" : crop;
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
      int in = (first + i) * size;
      int out = i * size;
      if (minScale > 0) {
        int[] box = box(rng, h, w);
        resize(src, in, s, box, flip && rng.nextBoolean(), dst, out);
        continue;
      }
      int dy = pad == 0 ? 0 : rng.nextInt(2 * pad + 1) - pad;
      int dx = pad == 0 ? 0 : rng.nextInt(2 * pad + 1) - pad;
      boolean mirror = flip && rng.nextBoolean();
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

  /**
   * RandomResizedCrop.get_params: {top, left, height, width} of a box of area in [minScale, 1] of
   * the image's and aspect ratio in [3/4, 4/3], 10 tries, else the central crop of the clamped ratio.
   */
  int[] box(SplittableRandom rng, int height, int width) {
    double area = (double) height * width;
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (minScale + (1 - minScale) * rng.nextDouble());
      double ratio = Math.exp(LOG_RATIO_MIN + (LOG_RATIO_MAX - LOG_RATIO_MIN) * rng.nextDouble());
      int bw = (int) Math.rint(Math.sqrt(target * ratio)); // Python's round: half to even
      int bh = (int) Math.rint(Math.sqrt(target / ratio));
      if (bw > 0 && bw <= width && bh > 0 && bh <= height) {
        int top = rng.nextInt(height - bh + 1);
        int left = rng.nextInt(width - bw + 1);
        return new int[] {top, left, bh, bw};
      }
    }
    double in = (double) width / height;
    int bw = width;
    int bh = height;
    if (in < 3.0 / 4.0) {
      bh = (int) Math.rint(bw / (3.0 / 4.0));
    } else if (in > 4.0 / 3.0) {
      bw = (int) Math.rint(bh * (4.0 / 3.0));
    }
    return new int[] {(height - bh) / 2, (width - bw) / 2, bh, bw};
  }

  /**
   * The box {top, left, height, width} of the image at src[in] resized to the image's shape, as
   * torchvision resizes a uint8 tensor: bilinear, align_corners=False, no antialiasing, in float,
   * rounded half to even; mirrored when asked.
   */
  static void resize(byte[] src, int in, Shape s, int[] box, boolean mirror, byte[] dst, int out) {
    int h = s.h();
    int w = s.w();
    int[] y0 = new int[h];
    int[] y1 = new int[h];
    float[] ly = new float[h];
    weights(box[0], box[2], h, y0, y1, ly);
    int[] x0 = new int[w];
    int[] x1 = new int[w];
    float[] lx = new float[w];
    weights(box[1], box[3], w, x0, x1, lx);
    for (int c = 0; c < s.c(); c++) {
      int plane = in + c * h * w;
      for (int y = 0; y < h; y++) {
        int r0 = plane + y0[y] * w;
        int r1 = plane + y1[y] * w;
        float b1 = ly[y];
        float b0 = 1 - b1;
        for (int x = 0; x < w; x++) {
          float a1 = lx[x];
          float a0 = 1 - a1;
          float top = a0 * (src[r0 + x0[x]] & 0xFF) + a1 * (src[r0 + x1[x]] & 0xFF);
          float bottom = a0 * (src[r1 + x0[x]] & 0xFF) + a1 * (src[r1 + x1[x]] & 0xFF);
          float v = b0 * top + b1 * bottom;
          int tx = mirror ? w - 1 - x : x;
          dst[out + c * h * w + y * w + tx] = (byte) Math.min(255, Math.max(0, (int) Math.rint(v)));
        }
      }
    }
  }

  /**
   * PyTorch's linear source indices and weights for output size {@code outSize} from the
   * {@code size} pixels at {@code start}: src = scale * (o + 0.5) - 0.5, clamped at 0, in float.
   */
  private static void weights(int start, int size, int outSize, int[] i0, int[] i1, float[] lambda) {
    float scale = (float) size / outSize;
    for (int o = 0; o < outSize; o++) {
      float real = Math.max(0f, scale * (o + 0.5f) - 0.5f);
      int lo = (int) real;
      i0[o] = start + lo;
      i1[o] = start + lo + (lo < size - 1 ? 1 : 0);
      lambda[o] = Math.min(Math.max(real - lo, 0f), 1f);
    }
  }
}
