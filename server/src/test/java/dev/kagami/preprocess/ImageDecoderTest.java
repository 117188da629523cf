package dev.kagami.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Decoding limits, colour conversions and malformed input. */
class ImageDecoderTest {

  static final ImageDecoder DECODER = new ImageDecoder(ImageLimits.DEFAULT);
  static final java.nio.file.Path ROBUST = Fixtures.GOLDEN.resolve("robustness");

  @Test
  void cmyk_jpeg_decodes_to_plausible_rgb() {
    RgbImage cmyk = DECODER.decode(Fixtures.read(ROBUST.resolve("cmyk_320x240.jpg")));
    RgbImage rgb = DECODER.decode(Fixtures.read(Fixtures.GOLDEN.resolve("images/landscape_640x480.jpg")));
    assertThat(cmyk.width()).isEqualTo(320);
    assertThat(cmyk.height()).isEqualTo(240);
    // not black, not blank: a real picture with spread of values
    long distinct = java.util.Arrays.stream(cmyk.pixels()).distinct().count();
    assertThat(distinct).isGreaterThan(1000);
    assertThat(rgb.width()).isEqualTo(640);
  }

  @Test
  void sixteen_bit_grey_is_scaled_not_clipped() {
    RgbImage g16 = DECODER.decode(Fixtures.read(ROBUST.resolve("gray16_200x150.png")));
    long distinct = java.util.Arrays.stream(g16.pixels()).distinct().count();
    assertThat(distinct).isGreaterThan(50);
    for (int p : g16.pixels()) {
      assertThat((p >> 16) & 0xFF).isEqualTo(p & 0xFF); // grey stays grey
    }
  }

  @Test
  void sixteen_bit_rgb_png_decodes() {
    ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), new int[] {16, 16, 16},
        false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
    WritableRaster r = cm.createCompatibleWritableRaster(64, 48);
    for (int y = 0; y < 48; y++) {
      for (int x = 0; x < 64; x++) {
        r.setPixel(x, y, new int[] {x * 1000, y * 1300, 65535});
      }
    }
    byte[] png = Images.encode(new BufferedImage(cm, r, false, null), "png");
    RgbImage img = DECODER.decode(png);
    assertThat(img.rgb(0, 0) & 0xFF).isEqualTo(255);
    assertThat((img.rgb(63, 0) >> 16) & 0xFF).isBetween(240, 250); // 63000/65535*255 = 245
  }

  @Test
  void animated_gif_uses_the_first_frame() {
    RgbImage anim = DECODER.decode(Fixtures.read(ROBUST.resolve("animated_3frames.gif")));
    RgbImage first = DECODER.decode(Fixtures.read(ROBUST.resolve("animated_frame0.gif")));
    assertThat(anim.width()).isEqualTo(first.width());
    int same = 0;
    for (int i = 0; i < anim.pixels().length; i++) {
      if (anim.pixels()[i] == first.pixels()[i]) {
        same++;
      }
    }
    assertThat(same).isGreaterThan(anim.pixels().length * 9 / 10);
  }

  @Test
  void limits_are_checked_before_decoding() {
    ImageDecoder small = new ImageDecoder(new ImageLimits(1000, 10_000));
    assertThatThrownBy(() -> small.decode(new byte[1001])).isInstanceOf(InvalidInput.class)
        .hasMessage("image is 1001 bytes, over the limit of 1000 bytes");
    assertThatThrownBy(() -> small.decode(Images.pngWithHeader(101, 100))).isInstanceOf(InvalidInput.class)
        .hasMessageContaining("101x100 = 10100 pixels, over the limit of 10000 pixels");
    assertThatThrownBy(() -> DECODER.decode(Images.pngWithHeader(60000, 60000))).isInstanceOf(InvalidInput.class)
        .hasMessageContaining("over the limit");
  }

  @Test
  void extreme_aspect_ratios_decode_and_transform_in_bounded_memory() {
    var spec = new dev.kagami.model.ModelPackageReader().read(Fixtures.TINY_CLIP).manifest().image();
    ClipImageTransform t = new ClipImageTransform(spec);
    for (int[] wh : new int[][] {{1, 100_000}, {100_000, 1}, {3, 20_000}}) {
      BufferedImage img = new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_INT_RGB);
      img.setRGB(0, wh[1] / 2, 0xFF0000);
      RgbImage decoded = DECODER.decode(Images.encode(img, "png"));
      float[] tensor = t.apply(decoded);
      assertThat(tensor).hasSize(3 * 224 * 224);
    }
  }

  @Test
  void malformed_inputs_only_ever_raise_invalid_input() {
    byte[][] seeds = {
        Images.png(200, 150, Color.ORANGE),
        Fixtures.read(Fixtures.GOLDEN.resolve("images/landscape_640x480.jpg")),
        Fixtures.read(Fixtures.GOLDEN.resolve("images/small_100x60.webp")),
        Fixtures.read(Fixtures.GOLDEN.resolve("images/palette_400x300.gif")),
        Images.encode(new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB), "bmp"),
    };
    long seed = Long.getLong("kagami.test.seed", 20261128L);
    SplittableRandom rnd = new SplittableRandom(seed);
    int decoded = 0;
    int refused = 0;
    for (int i = 0; i < 600; i++) {
      byte[] b = seeds[i % seeds.length].clone();
      switch (rnd.nextInt(4)) {
        case 0 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(Math.max(1, b.length))); // truncated
        case 1 -> { // flipped bytes (bad CRCs, lying headers)
          for (int k = 0; k < 1 + rnd.nextInt(20); k++) {
            b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
          }
        }
        case 2 -> { // header bytes rewritten (sizes, types)
          for (int k = 0; k < 4; k++) {
            b[rnd.nextInt(Math.min(b.length, 64))] = (byte) rnd.nextInt(256);
          }
        }
        default -> { // random garbage with a valid signature
          byte[] g = new byte[rnd.nextInt(4000)];
          rnd.nextBytes(g);
          System.arraycopy(b, 0, g, 0, Math.min(8, Math.min(b.length, g.length)));
          b = g;
        }
      }
      try {
        RgbImage img = DECODER.decode(b);
        assertThat(img.pixels()).hasSize(img.width() * img.height());
        decoded++;
      } catch (InvalidInput e) {
        assertThat(e.getMessage()).isNotBlank();
        refused++;
      }
    }
    System.out.printf("decoder fuzz (seed %d): %d mutated files, %d decoded, %d refused with INVALID_ARGUMENT, 0 other failures%n",
        seed, decoded + refused, decoded, refused);
    assertThat(decoded + refused).isEqualTo(600);
  }
}
