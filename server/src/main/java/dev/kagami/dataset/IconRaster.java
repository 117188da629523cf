package dev.kagami.dataset;

import dev.kagami.error.KagamiException.InvalidInput;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.apache.batik.transcoder.SVGAbstractTranscoder;
import org.apache.batik.transcoder.TranscoderException;
import org.apache.batik.transcoder.TranscoderInput;
import org.apache.batik.transcoder.TranscoderOutput;
import org.apache.batik.transcoder.image.ImageTranscoder;

/**
 * An icon file (SVG through Apache Batik, or PNG) drawn at one size, centred with its aspect kept, with its
 * transparency: {@link #onWhite} is what the benchmark stores, {@link #signature} what de-duplication compares.
 * SVG rendering never loads anything outside the file (external resources are refused).
 */
public final class IconRaster {

  private static final java.util.regex.Pattern VERSION_ONE =
      java.util.regex.Pattern.compile("(<svg\\b[^>]*?\\sversion=)[\"']1[\"']");

  /** Side of the signature grid. */
  static final int GRID = 32;

  private IconRaster() {}

  /** The icon at {@code size} x {@code size}, ARGB, from the bytes of {@code file} (read once by the caller). */
  public static BufferedImage render(Path file, byte[] bytes, int size) {
    String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    BufferedImage src = n.endsWith(".svg") ? svg(file, bytes, size) : png(file, bytes);
    BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
    double s = Math.min((double) size / src.getWidth(), (double) size / src.getHeight());
    int w = Math.max(1, (int) Math.round(src.getWidth() * s));
    int h = Math.max(1, (int) Math.round(src.getHeight() * s));
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(src, (size - w) / 2, (size - h) / 2, w, h, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /** The icon composited onto white, RGB (what a catalogue photo of it would show). */
  public static BufferedImage onWhite(BufferedImage argb) {
    BufferedImage out = new BufferedImage(argb.getWidth(), argb.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.drawImage(argb, 0, 0, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * A drawing's shape and shading, independent of its colours: the alpha mask and the luminance (on white)
   * averaged over a {@link #GRID} x {@link #GRID} grid, each scaled to zero mean and unit norm.
   */
  public record Signature(float[] alpha, float[] luminance) {

    /**
     * Whether two drawings are one drawing recoloured: the same silhouette and the same shading up to a
     * change of colour (a light and a dark variant correlate strongly, positively or negatively).
     */
    public boolean sameDrawing(Signature o, double minCorrelation) {
      return dot(alpha, o.alpha) >= minCorrelation && Math.abs(dot(luminance, o.luminance)) >= minCorrelation;
    }

    private static double dot(float[] a, float[] b) {
      double s = 0;
      for (int i = 0; i < a.length; i++) {
        s += a[i] * b[i];
      }
      return s;
    }
  }

  public static Signature signature(BufferedImage argb) {
    float[] alpha = new float[GRID * GRID];
    float[] lum = new float[GRID * GRID];
    int[] count = new int[GRID * GRID];
    int w = argb.getWidth();
    int h = argb.getHeight();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = argb.getRGB(x, y);
        double a = (p >>> 24) / 255.0;
        double l = (0.299 * ((p >> 16) & 0xFF) + 0.587 * ((p >> 8) & 0xFF) + 0.114 * (p & 0xFF)) / 255.0;
        int cell = (y * GRID / h) * GRID + x * GRID / w;
        alpha[cell] += (float) a;
        lum[cell] += (float) (a * l + (1 - a)); // on white
        count[cell]++;
      }
    }
    for (int i = 0; i < alpha.length; i++) {
      alpha[i] /= Math.max(1, count[i]);
      lum[i] /= Math.max(1, count[i]);
    }
    return new Signature(standardise(alpha), standardise(lum));
  }

  private static float[] standardise(float[] v) {
    double mean = 0;
    for (float f : v) {
      mean += f;
    }
    mean /= v.length;
    double norm = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] -= (float) mean;
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    for (int i = 0; i < v.length; i++) {
      v[i] = norm < 1e-9 ? 0 : (float) (v[i] / norm);
    }
    return v;
  }

  private static BufferedImage png(Path file, byte[] bytes) {
    try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
      BufferedImage img = ImageIO.read(in);
      if (img == null) {
        throw new InvalidInput(file + " is not a readable PNG");
      }
      return img;
    } catch (IOException e) {
      throw new InvalidInput("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static BufferedImage svg(Path file, byte[] bytes, int size) {
    Capture t = new Capture();
    t.addTranscodingHint(SVGAbstractTranscoder.KEY_WIDTH, (float) size);
    t.addTranscodingHint(SVGAbstractTranscoder.KEY_HEIGHT, (float) size);
    t.addTranscodingHint(SVGAbstractTranscoder.KEY_ALLOW_EXTERNAL_RESOURCES, Boolean.FALSE);
    try {
      // Batik accepts only the SVG versions 1.0, 1.1 and 1.2 in the root element; some themes write "1"
      String text = VERSION_ONE.matcher(java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString()).replaceFirst("$1\"1.1\"");
      TranscoderInput in = new TranscoderInput(new java.io.StringReader(text));
      in.setURI(file.toUri().toString());
      t.transcode(in, null);
    } catch (IOException e) {
      throw new InvalidInput("cannot read " + file + ": " + e.getMessage(), e);
    } catch (TranscoderException | RuntimeException e) {
      throw new InvalidInput("cannot render " + file + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }
    if (t.image == null) {
      throw new InvalidInput("cannot render " + file + ": no image");
    }
    return t.image;
  }

  /** Batik's image transcoder, keeping the image it draws instead of encoding it. */
  private static final class Capture extends ImageTranscoder {
    BufferedImage image;

    @Override
    public BufferedImage createImage(int width, int height) {
      return new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
    }

    @Override
    public void writeImage(BufferedImage img, TranscoderOutput output) {
      image = img;
    }
  }
}
