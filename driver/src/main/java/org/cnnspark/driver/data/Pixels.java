package org.cnnspark.driver.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * One decoded image as uint8 CHW (RGB or gray), and the conversions between layouts: encoded
 * JPEG/PNG, Spark's interleaved BGR image struct, gray <-> RGB, bilinear resize. Plain Java loops,
 * so a conversion gives the same bytes on every executor.
 */
record Pixels(int c, int h, int w, byte[] data) {

  /** Larger images are refused before decoding: a forged header must not exhaust the heap. */
  static final long MAX_PIXELS = 1L << 26;

  /** Decodes an encoded image (JPEG, PNG, BMP, GIF). A warning while decoding (e.g. a truncated
   * JPEG, which ImageIO would otherwise fill with gray) counts as a failure. */
  static Pixels decode(byte[] encoded) throws BadRecordException {
    // A memory cache: ImageIO's default would spill each image to a temporary file.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new BadRecordException("is not a JPEG, PNG, BMP or GIF image (" + encoded.length
            + " bytes that no image decoder recognises)");
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      try {
        reader.setInput(in, true, true);
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > MAX_PIXELS) {
          throw new BadRecordException("declares " + reader.getWidth(0) + "x" + reader.getHeight(0)
              + " pixels, more than the " + MAX_PIXELS + " accepted for one image");
        }
        BufferedImage image = reader.read(0);
        if (!warnings.isEmpty()) {
          throw new BadRecordException("is a damaged " + reader.getFormatName().toUpperCase(Locale.ROOT)
              + " image (" + warnings.get(0) + ")");
        }
        return of(image);
      } catch (IOException | RuntimeException e) {
        throw new BadRecordException("is a damaged " + reader.getFormatName().toUpperCase(Locale.ROOT)
            + " image (" + e.getMessage() + ")");
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      throw new BadRecordException("does not decode as an image (" + e.getMessage() + ")");
    }
  }

  /** Gray images (without a palette) keep one channel and their stored values; others become RGB. */
  static Pixels of(BufferedImage image) {
    int h = image.getHeight();
    int w = image.getWidth();
    ColorModel cm = image.getColorModel();
    if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel)) {
      // Read the raster: getRGB would map linear gray to sRGB and change the values.
      Raster raster = image.getRaster();
      int shift = Math.max(0, cm.getComponentSize(0) - 8);
      byte[] out = new byte[h * w];
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          out[y * w + x] = (byte) (row[x] >>> shift);
        }
      }
      return new Pixels(1, h, w, out);
    }
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    int plane = h * w;
    byte[] out = new byte[3 * plane];
    for (int i = 0; i < plane; i++) {
      int p = argb[i];
      out[i] = (byte) (p >>> 16);
      out[plane + i] = (byte) (p >>> 8);
      out[2 * plane + i] = (byte) p;
    }
    return new Pixels(3, h, w, out);
  }

  /** Spark's image struct: rows of interleaved B, G, R (and A) bytes; 1 channel is gray. */
  static Pixels fromInterleavedBgr(byte[] data, int h, int w, int channels) throws BadRecordException {
    if (h <= 0 || w <= 0 || (channels != 1 && channels != 3 && channels != 4)) {
      throw new BadRecordException("is an image struct of " + h + "x" + w + " with " + channels
          + " channels; only 1 (gray), 3 (BGR) or 4 (BGRA) channels of positive size are supported");
    }
    long need = (long) h * w * channels;
    if (data == null || data.length != need) {
      throw new BadRecordException("is an image struct of " + h + "x" + w + "x" + channels + " that needs " + need
          + " data bytes but holds " + (data == null ? 0 : data.length));
    }
    int plane = h * w;
    if (channels == 1) {
      return new Pixels(1, h, w, data.clone());
    }
    byte[] out = new byte[3 * plane];
    for (int i = 0; i < plane; i++) {
      int src = i * channels;
      out[i] = data[src + 2];
      out[plane + i] = data[src + 1];
      out[2 * plane + i] = data[src];
    }
    return new Pixels(3, h, w, out);
  }

  /** 1 -> 3 channels repeats the gray plane; 3 -> 1 is ITU-R 601 luma, as PIL's convert("L"). */
  Pixels withChannels(int channels) {
    if (channels == c) {
      return this;
    }
    int plane = h * w;
    if (c == 1 && channels == 3) {
      byte[] out = new byte[3 * plane];
      for (int k = 0; k < 3; k++) {
        System.arraycopy(data, 0, out, k * plane, plane);
      }
      return new Pixels(3, h, w, out);
    }
    if (c == 3 && channels == 1) {
      byte[] out = new byte[plane];
      for (int i = 0; i < plane; i++) {
        int r = data[i] & 0xff;
        int g = data[plane + i] & 0xff;
        int b = data[2 * plane + i] & 0xff;
        out[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16);
      }
      return new Pixels(1, h, w, out);
    }
    throw new IllegalArgumentException("cannot convert " + c + " channels to " + channels
        + ": only gray (1) <-> RGB (3) conversions exist");
  }

  /**
   * Bilinear resize with half-pixel centres, as PyTorch's interpolate(mode="bilinear",
   * align_corners=False) without antialiasing; rounds to the nearest byte.
   */
  Pixels resized(int outH, int outW) {
    if (outH == h && outW == w) {
      return this;
    }
    int[] y0 = new int[outH];
    int[] y1 = new int[outH];
    double[] fy = new double[outH];
    sourceIndex(h, outH, y0, y1, fy);
    int[] x0 = new int[outW];
    int[] x1 = new int[outW];
    double[] fx = new double[outW];
    sourceIndex(w, outW, x0, x1, fx);
    byte[] out = new byte[c * outH * outW];
    for (int k = 0; k < c; k++) {
      int in = k * h * w;
      int o = k * outH * outW;
      for (int y = 0; y < outH; y++) {
        int r0 = in + y0[y] * w;
        int r1 = in + y1[y] * w;
        for (int x = 0; x < outW; x++) {
          double top = (data[r0 + x0[x]] & 0xff) * (1 - fx[x]) + (data[r0 + x1[x]] & 0xff) * fx[x];
          double bottom = (data[r1 + x0[x]] & 0xff) * (1 - fx[x]) + (data[r1 + x1[x]] & 0xff) * fx[x];
          long v = Math.round(top * (1 - fy[y]) + bottom * fy[y]);
          out[o + y * outW + x] = (byte) Math.min(255, Math.max(0, v));
        }
      }
    }
    return new Pixels(c, outH, outW, out);
  }

  private static void sourceIndex(int in, int out, int[] i0, int[] i1, double[] frac) {
    double scale = (double) in / out;
    for (int i = 0; i < out; i++) {
      double src = Math.max(0, (i + 0.5) * scale - 0.5);
      int lo = Math.min((int) src, in - 1);
      i0[i] = lo;
      i1[i] = Math.min(lo + 1, in - 1);
      frac[i] = src - lo;
    }
  }

  String shapeText() {
    return c + "x" + h + "x" + w;
  }
}
