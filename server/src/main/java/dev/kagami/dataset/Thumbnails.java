package dev.kagami.dataset;

import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.RgbImage;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.imageio.ImageIO;

/**
 * PNG thumbnails of dataset images for browsing (not for embedding: CLIP's own preprocessing is
 * {@code preprocess.ClipImageTransform}). The longer side is scaled to the asked size (never up); each
 * thumbnail is written once to the cache folder, atomically, keyed by the image's reference and size.
 */
public final class Thumbnails {

  public static final int MIN_SIZE = 16;
  public static final int MAX_SIZE = 1024;

  private final ImageDecoder decoder;
  private final Path cache;

  public Thumbnails(ImageDecoder decoder, Path cache) {
    this.decoder = decoder;
    this.cache = cache;
  }

  /** The thumbnail of {@code source} whose longer side is at most {@code size} pixels. */
  public byte[] of(ImageSource source, int size) {
    if (size < MIN_SIZE || size > MAX_SIZE) {
      throw new dev.kagami.error.KagamiException.InvalidInput("thumbnail size must be " + MIN_SIZE + ".." + MAX_SIZE
          + " pixels, is " + size);
    }
    Path file = cache.resolve(key(source.ref() + "@" + size) + ".png");
    try {
      if (Files.isRegularFile(file)) {
        return Files.readAllBytes(file);
      }
      byte[] png = render(decoder.decode(source.read()), size);
      Files.createDirectories(cache);
      Path tmp = Files.createTempFile(cache, ".thumb-", ".tmp");
      Files.write(tmp, png);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return png;
    } catch (IOException e) {
      throw new dev.kagami.error.KagamiException.BackendUnavailable("cannot write a thumbnail to " + cache + ": " + e.getMessage(), e);
    }
  }

  static byte[] render(RgbImage img, int size) throws IOException {
    double scale = Math.min(1.0, (double) size / Math.max(img.width(), img.height()));
    int w = Math.max(1, (int) Math.round(img.width() * scale));
    int h = Math.max(1, (int) Math.round(img.height() * scale));
    BufferedImage src = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
    src.setRGB(0, 0, img.width(), img.height(), img.pixels(), 0, img.width());
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(src, 0, 0, w, h, null);
    } finally {
      g.dispose();
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(out, "png", bytes);
    return bytes.toByteArray();
  }

  private static String key(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
