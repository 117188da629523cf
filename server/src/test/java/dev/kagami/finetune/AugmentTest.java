package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.preprocess.PilBicubic;
import dev.kagami.preprocess.RgbImage;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentTest {

  static RgbImage gradient(int w, int h) {
    int[] px = new int[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        px[y * w + x] = ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | 128;
      }
    }
    return new RgbImage(w, h, px);
  }

  @Test
  void eval_view_is_the_centre_crop_of_the_one_and_an_eighth_resize() {
    Augment a = new Augment(64);
    RgbImage img = gradient(160, 120);
    RgbImage e = a.eval(img);
    assertThat(e.width()).isEqualTo(64);
    RgbImage resized = PilBicubic.resize(img, 96, 72); // shorter side 72 = round(64 * 1.125)
    assertThat(e.rgb(0, 0)).isEqualTo(resized.rgb(16, 4));
    assertThat(e.rgb(63, 63)).isEqualTo(resized.rgb(16 + 63, 4 + 63));
  }

  @Test
  void train_views_are_seeded_varied_and_in_range() {
    Augment a = new Augment(64);
    RgbImage img = gradient(160, 120);
    RgbImage v1 = a.train(img, new SplittableRandom(1));
    RgbImage v1again = a.train(img, new SplittableRandom(1));
    assertThat(v1.pixels()).containsExactly(v1again.pixels());
    int different = 0;
    for (long seed = 2; seed < 12; seed++) {
      if (!java.util.Arrays.equals(a.train(img, new SplittableRandom(seed)).pixels(), v1.pixels())) {
        different++;
      }
    }
    assertThat(different).isEqualTo(10);
    assertThat(v1.width()).isEqualTo(64);
    assertThat(v1.height()).isEqualTo(64);
  }

  @Test
  void jitter_primitives_follow_torchvision() {
    assertThat(Augment.gray(0xFFFFFF)).isEqualTo(255);
    assertThat(Augment.gray(0xFF0000)).isEqualTo(76); // 0.299 * 255
    assertThat(Augment.scale(0x808080, 1.4)).isEqualTo(0xB3B3B3); // 128 * 1.4 = 179.2
    assertThat(Augment.scale(0xF0F0F0, 1.4)).isEqualTo(0xFFFFFF); // clamped
    assertThat(Augment.blend(0xFF0000, 0, 0.5)).isEqualTo(0x800000); // 127.5 rounds to 128
  }
}
