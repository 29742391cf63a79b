package org.cnnspark.driver;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Test support: an 8-bit gray PNG written by hand (signature, IHDR, one IDAT, IEND), faster than
 * ImageIO's writer, and able to declare a size its pixel data does not have.
 */
public final class GrayPng {
  private GrayPng() {}

  /** A PNG whose header declares width x height and whose IDAT holds {@code rows} (filter byte + pixels per row), deflated. */
  public static byte[] of(int width, int height, byte[] rows) {
    Deflater deflater = new Deflater();
    deflater.setInput(rows);
    deflater.finish();
    byte[] z = new byte[rows.length + 64];
    int zlen = deflater.deflate(z);
    deflater.end();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put(new byte[] {8, 0, 0, 0, 0}).array());
    chunk(out, "IDAT", Arrays.copyOf(z, zlen));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String kind, byte[] data) {
    CRC32 crc = new CRC32();
    byte[] k = kind.getBytes(StandardCharsets.US_ASCII);
    crc.update(k);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(k);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
