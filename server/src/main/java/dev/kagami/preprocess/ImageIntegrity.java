package dev.kagami.preprocess;

import dev.kagami.error.KagamiException.InvalidInput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Checks, before decoding, that encoded image bytes are whole: Java's decoders fill what is missing with
 * grey instead of failing, so a truncated upload would be embedded as if it were the image. Strictness per
 * format (README, "Images"):
 * <ul>
 *   <li>PNG: the signature, then chunks whose lengths stay inside the data and whose CRCs match; IHDR
 *       first, at least one IDAT, IEND last; the compressed image data inflates to exactly the bytes the
 *       header's size, colour type, bit depth and interlacing need.
 *   <li>JPEG: marker segments that stay inside the data, a frame header (SOF), at least one scan, and the
 *       end-of-image marker (EOI); the entropy-coded data must hold at least one bit per 8x8 block of the
 *       size the frame header declares.
 *   <li>GIF: a trailer byte (0x3B) after the image data.
 *   <li>BMP: uncompressed pixel rows must fit in the data the header points to.
 *   <li>WebP: the RIFF size must match the data, and the first chunk must fit in it.
 * </ul>
 * Anything else (TIFF among them) is refused as an unsupported format.
 */
public final class ImageIntegrity {

  /** The formats Kagami accepts. */
  public enum Format {
    JPEG,
    PNG,
    GIF,
    BMP,
    WEBP
  }

  static final String SUPPORTED = "supported: JPEG, PNG, WebP, GIF, BMP";

  private ImageIntegrity() {}

  /** The format of {@code b}, after checking that the data is whole; {@link InvalidInput} otherwise. */
  public static Format check(byte[] b) {
    Format f = sniff(b);
    switch (f) {
      case PNG -> png(b);
      case JPEG -> jpeg(b);
      case GIF -> {
        if (b[b.length - 1] != 0x3B) {
          throw bad("GIF data is cut off: it does not end with the GIF trailer");
        }
      }
      case BMP -> bmp(b);
      case WEBP -> webp(b);
      default -> throw new IllegalStateException();
    }
    return f;
  }

  static Format sniff(byte[] b) {
    if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0D
        && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
      return Format.PNG;
    }
    if (b.length >= 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8) {
      return Format.JPEG;
    }
    if (b.length >= 6 && new String(b, 0, 6, StandardCharsets.ISO_8859_1).matches("GIF8[79]a")) {
      return Format.GIF;
    }
    if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
      return Format.BMP;
    }
    if (b.length >= 12 && new String(b, 0, 4, StandardCharsets.ISO_8859_1).equals("RIFF")
        && new String(b, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) {
      return Format.WEBP;
    }
    if (b.length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) || (b[0] == 'M' && b[1] == 'M'
        && b[2] == 0 && b[3] == 42))) {
      throw new InvalidInput("TIFF images are not accepted (" + SUPPORTED + ")");
    }
    throw new InvalidInput("image format not recognised (" + SUPPORTED + ")");
  }

  private static InvalidInput bad(String message) {
    return new InvalidInput("image could not be decoded: " + message);
  }

  // ---------------------------------------------------------------- PNG

  private static void png(byte[] b) {
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
    int pos = 8;
    long width = 0;
    long height = 0;
    int bitDepth = 0;
    int colourType = 0;
    int interlace = 0;
    boolean sawIdat = false;
    boolean sawEnd = false;
    Inflater inflater = new Inflater();
    long inflated = 0;
    byte[] sink = new byte[1 << 16];
    try {
      for (int n = 0; pos < b.length; n++) {
        if (sawEnd) {
          throw bad("PNG has data after its IEND chunk");
        }
        if (b.length - pos < 12) {
          throw bad("PNG data is cut off inside a chunk header");
        }
        long len = buf.getInt(pos) & 0xFFFFFFFFL;
        String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
        if (len > b.length - pos - 12L) {
          throw bad("PNG data is cut off in chunk " + type);
        }
        CRC32 crc = new CRC32();
        crc.update(b, pos + 4, (int) len + 4);
        if ((int) crc.getValue() != buf.getInt(pos + 8 + (int) len)) {
          throw bad("PNG chunk " + type + " is corrupt: its CRC does not match");
        }
        int data = pos + 8;
        if (n == 0 && !type.equals("IHDR")) {
          throw bad("PNG does not start with an IHDR chunk");
        }
        switch (type) {
          case "IHDR" -> {
            if (len != 13) {
              throw bad("PNG IHDR chunk has length " + len + ", not 13");
            }
            width = buf.getInt(data) & 0xFFFFFFFFL;
            height = buf.getInt(data + 4) & 0xFFFFFFFFL;
            bitDepth = b[data + 8];
            colourType = b[data + 9];
            interlace = b[data + 12];
          }
          case "IDAT" -> {
            sawIdat = true;
            inflater.setInput(b, data, (int) len);
            while (!inflater.needsInput() && !inflater.finished()) {
              int got = inflater.inflate(sink);
              inflated += got;
              if (got == 0 && inflater.needsDictionary()) {
                throw bad("PNG image data is corrupt (needs a preset dictionary)");
              }
            }
          }
          case "IEND" -> sawEnd = true;
          default -> { }
        }
        pos = data + (int) len + 4;
      }
    } catch (DataFormatException e) {
      throw bad("PNG image data is corrupt: " + e.getMessage());
    } finally {
      inflater.end();
    }
    if (!sawIdat) {
      throw bad("PNG has no image data (IDAT chunk)");
    }
    if (!sawEnd) {
      throw bad("PNG data is cut off: no IEND chunk");
    }
    long expected = pngRawBytes(width, height, bitDepth, colourType, interlace);
    if (expected > 0 && (!inflater.finished() || inflated != expected)) {
      throw bad("PNG image data holds " + inflated + " bytes" + (inflater.finished() ? "" : " and is cut off")
          + "; a " + width + "x" + height + " image needs " + expected);
    }
  }

  /** Filtered scanline bytes of a PNG image, all Adam7 passes for an interlaced one; 0 when unknown. */
  static long pngRawBytes(long w, long h, int bitDepth, int colourType, int interlace) {
    int channels = switch (colourType) {
      case 0, 3 -> 1;
      case 2 -> 3;
      case 4 -> 2;
      case 6 -> 4;
      default -> 0;
    };
    if (channels == 0 || bitDepth <= 0 || w <= 0 || h <= 0) {
      return 0; // the decoder refuses such a header itself
    }
    long bitsPerPixel = (long) channels * bitDepth;
    if (interlace == 0) {
      return h * (1 + (w * bitsPerPixel + 7) / 8);
    }
    int[][] passes = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
    long total = 0;
    for (int[] p : passes) {
      long pw = (w - p[0] + p[2] - 1) / p[2];
      long ph = (h - p[1] + p[3] - 1) / p[3];
      if (pw > 0 && ph > 0) {
        total += ph * (1 + (pw * bitsPerPixel + 7) / 8);
      }
    }
    return total;
  }

  // ---------------------------------------------------------------- JPEG

  private static void jpeg(byte[] b) {
    int pos = 2;
    long width = 0;
    long height = 0;
    long entropyBytes = 0;
    boolean sawFrame = false;
    boolean sawScan = false;
    while (true) {
      // find the next marker: 0xFF, fill bytes 0xFF, then the marker code
      if (pos >= b.length) {
        throw bad("JPEG data is cut off: no end-of-image marker");
      }
      if ((b[pos] & 0xFF) != 0xFF) {
        throw bad("JPEG is corrupt: a marker was expected at byte " + pos);
      }
      while (pos < b.length && (b[pos] & 0xFF) == 0xFF) {
        pos++;
      }
      if (pos >= b.length) {
        throw bad("JPEG data is cut off: no end-of-image marker");
      }
      int marker = b[pos++] & 0xFF;
      if (marker == 0xD9) {
        break; // EOI; what follows (some cameras append data) is ignored
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // no length
      }
      if (pos + 2 > b.length) {
        throw bad("JPEG data is cut off in a marker segment");
      }
      int len = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
      if (len < 2 || pos + len > b.length) {
        throw bad("JPEG data is cut off in a marker segment");
      }
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof && len >= 7) {
        sawFrame = true;
        height = ((b[pos + 3] & 0xFF) << 8) | (b[pos + 4] & 0xFF);
        width = ((b[pos + 5] & 0xFF) << 8) | (b[pos + 6] & 0xFF);
      }
      pos += len;
      if (marker == 0xDA) {
        sawScan = true;
        // entropy-coded data up to the next marker that is not a stuffed 0xFF00 or a restart marker
        int start = pos;
        while (pos + 1 < b.length) {
          if ((b[pos] & 0xFF) == 0xFF) {
            int next = b[pos + 1] & 0xFF;
            if (next != 0x00 && !(next >= 0xD0 && next <= 0xD7)) {
              break;
            }
          }
          pos++;
        }
        if (pos + 1 >= b.length) {
          throw bad("JPEG data is cut off inside the image data: no end-of-image marker");
        }
        entropyBytes += pos - start;
      }
    }
    if (!sawFrame || !sawScan) {
      throw bad("JPEG has no " + (sawFrame ? "image data (scan)" : "frame header"));
    }
    long blocks = ((width + 7) / 8) * ((height + 7) / 8);
    if (entropyBytes * 8 < blocks) {
      throw bad("JPEG header declares " + width + "x" + height + " pixels, but its image data (" + entropyBytes
          + " bytes) cannot fill them");
    }
  }

  // ---------------------------------------------------------------- BMP and WebP

  private static void bmp(byte[] b) {
    if (b.length < 30) {
      throw bad("BMP data is cut off inside its header");
    }
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    long offset = buf.getInt(10) & 0xFFFFFFFFL;
    int headerSize = buf.getInt(14);
    if (headerSize < 40 || b.length < 14 + 40) {
      return; // an old OS/2 header: the decoder checks it
    }
    long w = Math.abs((long) buf.getInt(18));
    long h = Math.abs((long) buf.getInt(22));
    int bpp = buf.getShort(28);
    int compression = buf.getInt(30);
    if (compression == 0 && bpp > 0) {
      long stride = ((w * bpp + 31) / 32) * 4;
      if (offset + stride * h > b.length) {
        throw bad("BMP data is cut off: " + w + "x" + h + " pixels need " + (offset + stride * h) + " bytes, there are "
            + b.length);
      }
    }
  }

  private static void webp(byte[] b) {
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    long riff = buf.getInt(4) & 0xFFFFFFFFL;
    if (riff + 8 > b.length) {
      throw bad("WebP data is cut off: the RIFF header says " + (riff + 8) + " bytes, there are " + b.length);
    }
    if (b.length < 20) {
      throw bad("WebP data is cut off before its first chunk");
    }
    long chunk = buf.getInt(16) & 0xFFFFFFFFL;
    if (20 + chunk > riff + 8) {
      throw bad("WebP data is cut off in its first chunk");
    }
  }
}
