package dev.kagami.preprocess;

import dev.kagami.error.KagamiException.InvalidInput;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG, WebP, GIF (first frame) and BMP into 8-bit RGB, applying EXIF orientation. Data that
 * is cut off or corrupt, or another format (TIFF), is refused first by {@link ImageIntegrity}.
 *
 * <p>Size limits are checked before decoding: the encoded byte count first, then width and height read
 * from the header, so a decompression bomb is refused without allocating its pixels. Colour handling
 * follows PIL's {@code convert("RGB")}, which CLIP's reference preprocessing uses: grey is replicated to
 * the three channels (no gamma conversion), palette images are looked up, alpha is dropped, 16-bit
 * samples are scaled to 8 bits, and CMYK/YCCK JPEGs are converted to RGB by the decoder.
 */
public final class ImageDecoder {

  private final ImageLimits limits;

  public ImageDecoder(ImageLimits limits) {
    this.limits = limits;
    // Registers the TwelveMonkeys readers (WebP, CMYK JPEG) with the class loader that runs Kagami.
    ImageIO.scanForPlugins();
  }

  public ImageLimits limits() {
    return limits;
  }

  /** Decodes {@code bytes}; refuses anything undecodable or over the limits with {@link InvalidInput}. */
  public RgbImage decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new InvalidInput("image is empty");
    }
    if (bytes.length > limits.maxBytes()) {
      throw new InvalidInput("image is " + bytes.length + " bytes, over the limit of " + limits.maxBytes() + " bytes");
    }
    BufferedImage img;
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        ImageIntegrity.sniff(bytes); // names TIFF and the like
      }
      if (!readers.hasNext()) {
        throw new InvalidInput("image format not recognised (supported: JPEG, PNG, WebP, GIF, BMP)");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long w = reader.getWidth(0);
        long h = reader.getHeight(0);
        if (w <= 0 || h <= 0) {
          throw new InvalidInput("image header declares an empty size " + w + "x" + h);
        }
        if (w * h > limits.maxPixels()) {
          throw new InvalidInput("image is " + w + "x" + h + " = " + (w * h) + " pixels, over the limit of "
              + limits.maxPixels() + " pixels");
        }
        // whole data of a supported format, before a decoder fills what is missing with grey
        ImageIntegrity.check(bytes);
        img = reader.read(0, reader.getDefaultReadParam());
      } finally {
        reader.dispose();
      }
    } catch (InvalidInput e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new InvalidInput("image could not be decoded: " + describe(e), e);
    }
    if (img == null) {
      throw new InvalidInput("image could not be decoded: no image in the data");
    }
    RgbImage rgb = toRgb(img);
    return ExifOrientation.apply(rgb, ExifOrientation.read(bytes));
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** Converts any decoded image to 8-bit RGB the way PIL's convert("RGB") does. */
  static RgbImage toRgb(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[] out = new int[w * h];
    Raster raster = img.getRaster();
    ColorModel cm = img.getColorModel();
    switch (img.getType()) {
      case BufferedImage.TYPE_3BYTE_BGR -> {
        if (raster.getDataBuffer() instanceof DataBufferByte db && db.getNumBanks() == 1
            && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0) {
          byte[] d = db.getData();
          for (int i = 0, j = 0; i < out.length; i++, j += 3) {
            out[i] = ((d[j + 2] & 0xFF) << 16) | ((d[j + 1] & 0xFF) << 8) | (d[j] & 0xFF);
          }
          return new RgbImage(w, h, out);
        }
      }
      case BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB -> {
        if (raster.getDataBuffer() instanceof DataBufferInt db && db.getNumBanks() == 1
            && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0) {
          int[] d = db.getData();
          for (int i = 0; i < out.length; i++) {
            out[i] = d[i] & 0xFFFFFF;
          }
          return new RgbImage(w, h, out);
        }
      }
      default -> { }
    }
    if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
      // Grey (with or without alpha), any bit depth: replicate the grey level, as PIL does; no gamma change.
      int bits = raster.getSampleModel().getSampleSize(0);
      double max = (1L << bits) - 1;
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          int v = bits == 8 ? row[x] : (int) Math.round(row[x] * 255.0 / max);
          out[y * w + x] = v * 0x010101;
        }
      }
      return new RgbImage(w, h, out);
    }
    // Palette, 16-bit RGB, alpha, and whatever else the decoder produced: the colour model's own sRGB
    // conversion, alpha dropped (not composited), as PIL's RGBA -> RGB does.
    img.getRGB(0, 0, w, h, out, 0, w);
    for (int i = 0; i < out.length; i++) {
      out[i] &= 0xFFFFFF;
    }
    return new RgbImage(w, h, out);
  }
}
