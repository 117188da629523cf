package dev.kagami.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.model.ModelPackageReader;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fixtures.GoldenImage;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kagami's decode + CLIP transform against the reference (PIL + torchvision as OpenAI's CLIP does it,
 * with EXIF orientation applied), on the committed golden images: photos-like scenes of many sizes, aspect
 * ratios and formats, including 3000x2000 and 1920x1080 downscales where a non-antialiased resize fails.
 */
class ClipImageTransformGoldenTest {

  static final ImageDecoder DECODER = new ImageDecoder(new ImageLimits(50_000_000, 100_000_000L));
  static final ClipImageTransform TRANSFORM =
      new ClipImageTransform(new ModelPackageReader().read(Fixtures.TINY_CLIP).manifest().image());

  static Stream<GoldenImage> images() {
    return Fixtures.goldenImages().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void crop_matches_pil_within_one_level_on_average(GoldenImage g) {
    RgbImage decoded = DECODER.decode(g.bytes());
    assertThat(List.of(decoded.width(), decoded.height())).as("upright size").containsExactly(g.width(), g.height());
    float[] tensor = TRANSFORM.apply(decoded);
    RgbImage reference = DECODER.decode(Fixtures.read(g.cropPath()));

    // Undo the normalisation and compare with the reference crop's 8-bit values.
    var spec = new ModelPackageReader().read(Fixtures.TINY_CLIP).manifest().image();
    int plane = TRANSFORM.size() * TRANSFORM.size();
    double sumAbs = 0;
    double maxAbs = 0;
    for (int c = 0; c < 3; c++) {
      double mean = spec.mean().get(c);
      double std = spec.std().get(c);
      int shift = 16 - 8 * c;
      for (int i = 0; i < plane; i++) {
        double mine = tensor[c * plane + i] * std + mean;
        double ref = ((reference.pixels()[i] >> shift) & 0xFF) / 255.0;
        double d = Math.abs(mine - ref);
        sumAbs += d;
        maxAbs = Math.max(maxAbs, d);
      }
    }
    double meanAbs = sumAbs / (3.0 * plane);
    System.out.printf("%-28s mean |diff| = %.6f (%.3f levels), max = %.4f%n", g.file(), meanAbs, meanAbs * 255, maxAbs);
    assertThat(meanAbs).as("mean absolute difference after undoing normalisation").isLessThanOrEqualTo(1.0 / 255);
  }

  /** The tolerance above is tight enough to catch the classic bug: Java2D's bicubic does not antialias. */
  @org.junit.jupiter.api.Test
  void java2d_bicubic_would_fail_this_test_on_a_large_downscale() {
    GoldenImage g = Fixtures.goldenImages().stream().filter(i -> i.file().contains("3000x2000")).findFirst().orElseThrow();
    RgbImage decoded = DECODER.decode(g.bytes());
    java.awt.image.BufferedImage src = new java.awt.image.BufferedImage(decoded.width(), decoded.height(),
        java.awt.image.BufferedImage.TYPE_INT_RGB);
    src.setRGB(0, 0, decoded.width(), decoded.height(), decoded.pixels(), 0, decoded.width());
    int nw = 224 * 3000 / 2000;
    java.awt.image.BufferedImage dst = new java.awt.image.BufferedImage(nw, 224, java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D gr = dst.createGraphics();
    gr.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    gr.drawImage(src, 0, 0, nw, 224, null);
    gr.dispose();
    RgbImage reference = DECODER.decode(Fixtures.read(g.cropPath()));
    int left = (int) Math.rint((nw - 224) / 2.0);
    double sum = 0;
    for (int y = 0; y < 224; y++) {
      for (int x = 0; x < 224; x++) {
        int a = dst.getRGB(x + left, y);
        int b = reference.rgb(x, y);
        for (int s = 0; s <= 16; s += 8) {
          sum += Math.abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF)) / 255.0;
        }
      }
    }
    double meanAbs = sum / (3.0 * 224 * 224);
    System.out.printf("Java2D bicubic on %s: mean |diff| = %.4f (%.1f levels)%n", g.file(), meanAbs, meanAbs * 255);
    assertThat(meanAbs).isGreaterThan(1.0 / 255);
  }
}
