package dev.kagami.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PilBicubicTest {

  static RgbImage random(int w, int h, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] px = new int[w * h];
    for (int i = 0; i < px.length; i++) {
      px[i] = r.nextInt(0x1000000);
    }
    return new RgbImage(w, h, px);
  }

  @Test
  void a_window_equals_the_same_window_of_the_full_resize() {
    SplittableRandom r = new SplittableRandom(7);
    for (int trial = 0; trial < 30; trial++) {
      int w = 1 + r.nextInt(300);
      int h = 1 + r.nextInt(300);
      int ow = 1 + r.nextInt(400);
      int oh = 1 + r.nextInt(400);
      RgbImage in = random(w, h, trial);
      RgbImage full = PilBicubic.resize(in, ow, oh);
      int cw = 1 + r.nextInt(ow);
      int ch = 1 + r.nextInt(oh);
      int left = r.nextInt(ow - cw + 1);
      int top = r.nextInt(oh - ch + 1);
      RgbImage win = PilBicubic.resizeRegion(in, ow, oh, left, top, cw, ch);
      for (int y = 0; y < ch; y++) {
        for (int x = 0; x < cw; x++) {
          assertThat(win.rgb(x, y)).as("trial %d at %d,%d", trial, x, y).isEqualTo(full.rgb(x + left, y + top));
        }
      }
    }
  }

  @Test
  void same_size_is_identity_and_constant_images_stay_constant() {
    RgbImage in = random(50, 40, 1);
    assertThat(PilBicubic.resize(in, 50, 40).pixels()).containsExactly(in.pixels());
    int[] c = new int[90 * 70];
    java.util.Arrays.fill(c, 0x336699);
    RgbImage out = PilBicubic.resize(new RgbImage(90, 70, c), 17, 230);
    for (int p : out.pixels()) {
      assertThat(p).isEqualTo(0x336699);
    }
  }

  @Test
  void kernel_is_keys_cubic_with_a_minus_half() {
    assertThat(PilBicubic.filter(0)).isEqualTo(1.0);
    assertThat(PilBicubic.filter(1)).isEqualTo(0.0);
    assertThat(PilBicubic.filter(2)).isEqualTo(0.0);
    assertThat(PilBicubic.filter(0.5)).isEqualTo(0.5625);
    assertThat(PilBicubic.filter(1.5)).isEqualTo(-0.0625);
  }
}
