package dev.kagami.preprocess;

/**
 * Reads the EXIF orientation tag (0x0112) of a JPEG, by walking its markers to the APP1 "Exif" segment
 * and IFD0 of the TIFF structure inside. Never throws: anything unreadable means orientation 1 (as
 * stored). Values are 1-8 as defined by EXIF 2.3, section 4.6.4, "Orientation".
 */
public final class ExifOrientation {

  private ExifOrientation() {}

  public static int read(byte[] b) {
    try {
      return readJpeg(b);
    } catch (RuntimeException e) {
      return 1;
    }
  }

  private static int readJpeg(byte[] b) {
    if (b.length < 4 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) {
      return 1;
    }
    int p = 2;
    while (p + 4 <= b.length) {
      if ((b[p] & 0xFF) != 0xFF) {
        return 1;
      }
      int marker = b[p + 1] & 0xFF;
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF) {
        p += marker == 0xFF ? 1 : 2;
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) {
        return 1; // start of scan: no EXIF before the image data
      }
      int len = u16(b, p + 2, false);
      if (len < 2 || p + 2 + len > b.length) {
        return 1;
      }
      int seg = p + 4;
      if (marker == 0xE1 && len >= 8 && b[seg] == 'E' && b[seg + 1] == 'x' && b[seg + 2] == 'i' && b[seg + 3] == 'f'
          && b[seg + 4] == 0 && b[seg + 5] == 0) {
        return readTiff(b, seg + 6, p + 2 + len);
      }
      p += 2 + len;
    }
    return 1;
  }

  private static int readTiff(byte[] b, int tiff, int end) {
    boolean little;
    if (b[tiff] == 'I' && b[tiff + 1] == 'I') {
      little = true;
    } else if (b[tiff] == 'M' && b[tiff + 1] == 'M') {
      little = false;
    } else {
      return 1;
    }
    if (u16(b, tiff + 2, little) != 42) {
      return 1;
    }
    long ifd = u32(b, tiff + 4, little);
    int p = tiff + (int) ifd;
    if (ifd < 8 || p + 2 > end) {
      return 1;
    }
    int entries = u16(b, p, little);
    for (int i = 0; i < entries; i++) {
      int e = p + 2 + i * 12;
      if (e + 12 > end) {
        return 1;
      }
      if (u16(b, e, little) == 0x0112) {
        int type = u16(b, e + 2, little);
        int value = type == 3 ? u16(b, e + 8, little) : (int) u32(b, e + 8, little);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }

  private static int u16(byte[] b, int p, boolean little) {
    int a = b[p] & 0xFF;
    int c = b[p + 1] & 0xFF;
    return little ? (c << 8) | a : (a << 8) | c;
  }

  private static long u32(byte[] b, int p, boolean little) {
    long hi = u16(b, little ? p + 2 : p, little);
    long lo = u16(b, little ? p : p + 2, little);
    return (hi << 16) | lo;
  }

  /** Turns an image stored with EXIF orientation {@code o} upright (as PIL's ImageOps.exif_transpose). */
  public static RgbImage apply(RgbImage in, int o) {
    if (o <= 1 || o > 8) {
      return in;
    }
    int w = in.width();
    int h = in.height();
    boolean swap = o >= 5;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    int[] out = new int[ow * oh];
    int[] src = in.pixels();
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int sx;
        int sy;
        switch (o) {
          case 2 -> { sx = w - 1 - x; sy = y; }
          case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
          case 4 -> { sx = x; sy = h - 1 - y; }
          case 5 -> { sx = y; sy = x; }
          case 6 -> { sx = y; sy = h - 1 - x; }
          case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
          default -> { sx = w - 1 - y; sy = x; } // 8
        }
        out[y * ow + x] = src[sy * w + sx];
      }
    }
    return new RgbImage(ow, oh, out);
  }
}
