package org.cnnspark.engine.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reading a length that came from a file without trusting it. */
final class Bytes {
  private Bytes() {}

  /**
   * Reads up to n bytes, growing the buffer in chunks so that a lying length costs no more
   * memory than the stream holds; fewer bytes come back when the stream ends first.
   */
  static byte[] readUpTo(InputStream in, long n) throws IOException {
    if (n < 0 || n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("cannot read " + n + " bytes into one array");
    }
    byte[] buf = new byte[(int) Math.min(n, 1 << 20)];
    int got = 0;
    while (got < n) {
      if (got == buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(n, (long) buf.length * 2));
      }
      int r = in.read(buf, got, buf.length - got);
      if (r < 0) {
        return Arrays.copyOf(buf, got);
      }
      got += r;
    }
    return buf;
  }
}
