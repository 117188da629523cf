package dev.kagami.dataset;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * An IDX3 image file (the MNIST format: magic 0x00000803, count, rows, columns, then unsigned bytes), held
 * in memory; gzip-compressed files are read transparently. Format: Y. LeCun, "THE MNIST DATABASE of
 * handwritten digits", section "FILE FORMATS FOR THE MNIST DATABASE".
 */
public final class IdxImages {

  private final Path path;
  private final int count;
  private final int rows;
  private final int cols;
  private final byte[] pixels;

  private IdxImages(Path path, int count, int rows, int cols, byte[] pixels) {
    this.path = path;
    this.count = count;
    this.rows = rows;
    this.cols = cols;
    this.pixels = pixels;
  }

  public static IdxImages read(Path path) throws IOException {
    try (DataInputStream in = new DataInputStream(open(path))) {
      int magic = in.readInt();
      if (magic != 0x00000803) {
        throw new IOException(path + " is not an IDX3 image file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = in.readInt();
      int r = in.readInt();
      int c = in.readInt();
      if (n < 0 || r <= 0 || c <= 0 || (long) n * r * c > Integer.MAX_VALUE - 8) {
        throw new IOException(path + " declares an impossible size " + n + "x" + r + "x" + c);
      }
      byte[] px = new byte[n * r * c];
      in.readFully(px);
      return new IdxImages(path, n, r, c, px);
    }
  }

  /** Reads an IDX1 label file (magic 0x00000801). */
  public static int[] readLabels(Path path) throws IOException {
    try (DataInputStream in = new DataInputStream(open(path))) {
      int magic = in.readInt();
      if (magic != 0x00000801) {
        throw new IOException(path + " is not an IDX1 label file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = in.readInt();
      if (n < 0) {
        throw new IOException(path + " declares " + n + " labels");
      }
      byte[] b = new byte[n];
      in.readFully(b);
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        out[i] = b[i] & 0xFF;
      }
      return out;
    }
  }

  private static InputStream open(Path path) throws IOException {
    InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(path), 1 << 16);
    return path.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
  }

  public Path path() {
    return path;
  }

  public int count() {
    return count;
  }

  /** Image {@code i} as a greyscale PNG. */
  public byte[] png(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("image " + i + " of " + count);
    }
    BufferedImage img = new BufferedImage(cols, rows, BufferedImage.TYPE_BYTE_GRAY);
    byte[] dst = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
    System.arraycopy(pixels, i * rows * cols, dst, 0, rows * cols);
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
