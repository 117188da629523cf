package dev.kagami.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Data that is cut off, corrupt or lies about its size is refused, not decoded as a grey-filled image. */
class ImageIntegrityTest {

  static final ImageDecoder DECODER = new ImageDecoder(ImageLimits.DEFAULT);

  static byte[] noisy(String format, int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    java.util.SplittableRandom r = new java.util.SplittableRandom(7);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    return Images.encode(img, format);
  }

  static List<byte[]> wholeImages() {
    return List.of(noisy("png", 64, 48), noisy("jpg", 64, 48), noisy("bmp", 30, 20), noisy("gif", 40, 30),
        Fixtures.read(Fixtures.GOLDEN.resolve("images/small_100x60.webp")),
        Fixtures.read(Fixtures.GOLDEN.resolve("images/landscape_640x480.jpg")));
  }

  @Test
  void whole_images_pass_and_every_cut_of_them_is_refused() {
    int cuts = 0;
    for (byte[] whole : wholeImages()) {
      RgbImage img = DECODER.decode(whole);
      assertThat(img.width()).isPositive();
      for (int cut = 0; cut < whole.length; cut += Math.max(1, whole.length / 300)) {
        byte[] b = Arrays.copyOf(whole, cut);
        assertThatThrownBy(() -> DECODER.decode(b)).as("%s cut to %d of %d bytes", ImageIntegrity.sniff(whole), cut,
            whole.length).isInstanceOf(InvalidInput.class);
        cuts++;
      }
    }
    assertThat(cuts).isGreaterThan(1000);
  }

  @Test
  void png_with_a_bad_crc_or_without_its_end_chunk_is_refused() {
    byte[] png = noisy("png", 64, 48);
    byte[] flipped = png.clone();
    flipped[png.length / 2] ^= 0x01; // inside the image data: its chunk's CRC no longer matches
    assertThatThrownBy(() -> DECODER.decode(flipped)).isInstanceOf(InvalidInput.class).hasMessageContaining("CRC");
    byte[] noEnd = Arrays.copyOf(png, png.length - 12); // IEND is the last 12 bytes
    assertThatThrownBy(() -> DECODER.decode(noEnd)).isInstanceOf(InvalidInput.class).hasMessageContaining("no IEND");
  }

  @Test
  void a_header_the_data_cannot_fill_is_refused() {
    // a tiny PNG whose header claims 4000x4000 (16 megapixels, within the pixel limit)
    assertThatThrownBy(() -> DECODER.decode(Images.pngWithHeader(4000, 4000))).isInstanceOf(InvalidInput.class)
        .hasMessageContaining("image could not be decoded");
    // a whole small JPEG whose frame header is rewritten to 4000x4000
    byte[] jpg = noisy("jpg", 16, 16);
    for (int i = 2; i + 8 < jpg.length; i++) {
      if ((jpg[i] & 0xFF) == 0xFF && (jpg[i + 1] & 0xFF) == 0xC0) {
        jpg[i + 5] = (byte) (4000 >> 8);
        jpg[i + 6] = (byte) 4000;
        jpg[i + 7] = (byte) (4000 >> 8);
        jpg[i + 8] = (byte) 4000;
        break;
      }
    }
    assertThatThrownBy(() -> DECODER.decode(jpg)).isInstanceOf(InvalidInput.class)
        .hasMessageContaining("4000x4000 pixels, but its image data");
  }

  @Test
  void tiff_is_refused_as_an_unsupported_format() {
    byte[] tiff = Images.encode(new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB), "tiff");
    assertThat(tiff).isNotEmpty();
    assertThatThrownBy(() -> DECODER.decode(tiff)).isInstanceOf(InvalidInput.class)
        .hasMessageContaining("TIFF images are not accepted");
  }

  @Test
  void png_raw_sizes_follow_the_spec() {
    // 3x2 RGB 8-bit: 2 rows of 1 filter byte + 9 bytes
    assertThat(ImageIntegrity.pngRawBytes(3, 2, 8, 2, 0)).isEqualTo(20);
    // 1-bit grey, 10 wide: 2 bytes a row
    assertThat(ImageIntegrity.pngRawBytes(10, 1, 1, 0, 0)).isEqualTo(3);
    // Adam7 of a 1x1 image: only the first pass has a pixel
    assertThat(ImageIntegrity.pngRawBytes(1, 1, 8, 6, 1)).isEqualTo(5);
    assertThat(Images.png(5, 5, Color.RED)).isNotEmpty();
  }
}
