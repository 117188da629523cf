package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PseudoCaptionsTest {

  @Test
  void top_k_above_the_threshold_best_first_and_none_when_nothing_is_close() {
    // 2-d: image 0 along x, image 1 along y; captions at angles 0, 20, 60, 80 and 180 degrees
    float[] images = {1, 0, 0, 1};
    double[] deg = {0, 20, 60, 80, 180};
    float[] caps = new float[deg.length * 2];
    for (int i = 0; i < deg.length; i++) {
      caps[2 * i] = (float) Math.cos(Math.toRadians(deg[i]));
      caps[2 * i + 1] = (float) Math.sin(Math.toRadians(deg[i]));
    }
    List<int[]> got = PseudoCaptions.mine(images, 2, caps, 5, 2, 2, 0.27);
    assertThat(got.get(0)).containsExactly(0, 1); // cos 1.0, 0.94 (0.5 is third, k = 2)
    assertThat(got.get(1)).containsExactly(3, 2); // cos 0.98, 0.87
    assertThat(PseudoCaptions.mine(images, 2, caps, 5, 2, 20, 0.27).get(0)).containsExactly(0, 1, 2); // 0.5 > 0.27; 0.17 is not
    assertThat(PseudoCaptions.mine(new float[] {0, -1}, 1, caps, 5, 2, 20, 0.27).get(0)).isEmpty();
  }

  @Test
  void matches_a_brute_force_reference_on_random_data() {
    SplittableRandom r = new SplittableRandom(Long.getLong("kagami.test.seed", 9L));
    int n = 30;
    int m = 200;
    int dim = 8;
    float[] im = new float[n * dim];
    float[] cp = new float[m * dim];
    for (int i = 0; i < im.length; i++) {
      im[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < cp.length; i++) {
      cp[i] = (float) r.nextGaussian();
    }
    normalize(im, dim);
    normalize(cp, dim);
    List<int[]> got = PseudoCaptions.mine(im, n, cp, m, dim, 20, 0.27);
    for (int i = 0; i < n; i++) {
      final int q = i;
      int[] expected = java.util.stream.IntStream.range(0, m).boxed()
          .filter(c -> dot(im, q, cp, c, dim) > 0.27)
          .sorted((a, b) -> Float.compare(dot(im, q, cp, b, dim), dot(im, q, cp, a, dim)))
          .limit(20).mapToInt(Integer::intValue).toArray();
      assertThat(got.get(i)).as("image %d", i).containsExactly(expected);
    }
  }

  static void normalize(float[] a, int dim) {
    for (int o = 0; o < a.length; o += dim) {
      double s = 0;
      for (int d = 0; d < dim; d++) {
        s += a[o + d] * a[o + d];
      }
      for (int d = 0; d < dim; d++) {
        a[o + d] /= (float) Math.sqrt(s);
      }
    }
  }

  static float dot(float[] a, int i, float[] b, int j, int dim) {
    float s = 0;
    for (int d = 0; d < dim; d++) {
      s += a[i * dim + d] * b[j * dim + d];
    }
    return s;
  }
}
