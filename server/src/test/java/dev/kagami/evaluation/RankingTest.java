package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RankingTest {

  @Test
  void ranked_order_matches_a_reference_sort_for_random_scores_of_any_sign() {
    long seed = Long.getLong("kagami.test.seed", 99L);
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rnd.nextInt(60);
      float[] s = new float[n];
      boolean[] rel = new boolean[n];
      for (int i = 0; i < n; i++) {
        s[i] = rnd.nextInt(4) == 0 ? (float) rnd.nextInt(-2, 3) : (float) (rnd.nextDouble() * 4 - 2);
        rel[i] = rnd.nextBoolean();
      }
      boolean[] out = new boolean[n];
      int m = Ranking.rankedRelevance(s, rel, -1, new long[n], out);
      Integer[] idx = new Integer[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
      Arrays.sort(idx, (a, b) -> s[a] != s[b] ? Float.compare(s[b], s[a]) : rel[a] != rel[b] ? (rel[a] ? 1 : -1) : a - b);
      assertThat(m).isEqualTo(n);
      for (int r = 0; r < n; r++) {
        assertThat(out[r]).as("seed %d trial %d rank %d", seed, trial, r).isEqualTo(rel[idx[r]]);
      }
    }
  }

  @Test
  void sortable_bits_preserve_float_order() {
    float[] f = {-Float.MAX_VALUE, -2f, -1e-30f, -0.0f, 0.0f, 1e-30f, 0.5f, 2f, Float.MAX_VALUE};
    for (int i = 1; i < f.length; i++) {
      assertThat(Ranking.sortableBits(f[i - 1])).isLessThanOrEqualTo(Ranking.sortableBits(f[i]));
    }
  }
}
