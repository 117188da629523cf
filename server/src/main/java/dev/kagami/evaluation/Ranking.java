package dev.kagami.evaluation;

import java.util.Arrays;

/**
 * Ranks candidates by similarity, highest first. Ties are broken pessimistically: among candidates with
 * the same similarity, the non-relevant ones rank first. So a degenerate model that maps everything to
 * one vector scores at chance, not at 1.0, and no metric can be gamed through ties.
 */
final class Ranking {

  private Ranking() {}

  /** A float's bits mapped to an int that sorts in the same order as the floats. */
  static int sortableBits(float f) {
    int b = Float.floatToIntBits(f == 0.0f ? 0.0f : f); // -0.0 == 0.0
    return b >= 0 ? b : b ^ 0x7fffffff;
  }

  /**
   * The relevance of the candidates in ranked order: {@code out[r]} is true when the candidate at rank r
   * (0-based) is relevant. Candidate {@code exclude} (the query itself, or -1) is left out.
   *
   * @return the number of ranked candidates
   */
  static int rankedRelevance(float[] scores, boolean[] relevant, int exclude, long[] keys, boolean[] out) {
    int m = 0;
    for (int i = 0; i < scores.length; i++) {
      if (i == exclude) {
        continue;
      }
      // signed ascending sort of: [descending score][non-relevant before relevant][index]
      long desc = (long) ~sortableBits(scores[i]) << 32;
      keys[m++] = desc | ((relevant[i] ? 1L : 0L) << 31) | i;
    }
    Arrays.sort(keys, 0, m);
    for (int r = 0; r < m; r++) {
      out[r] = ((keys[r] >>> 31) & 1L) == 1L;
    }
    return m;
  }

  /**
   * 1-based rank of {@code target} among all candidates except {@code exclude}: one plus the number of
   * candidates scoring higher, plus those scoring the same (pessimistic ties).
   */
  static int rankOf(float[] scores, int target, int exclude) {
    float s = scores[target];
    int rank = 1;
    for (int i = 0; i < scores.length; i++) {
      if (i != target && i != exclude && scores[i] >= s) {
        rank++;
      }
    }
    return rank;
  }
}
