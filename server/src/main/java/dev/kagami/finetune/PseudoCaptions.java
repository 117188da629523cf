package dev.kagami.finetune;

import dev.kagami.concurrent.Parallel;
import java.util.ArrayList;
import java.util.List;

/**
 * Pseudo-caption mining as the authors' code does it (see ../shared/reference/method.md,
 * "Pseudo-captions"): for each image, the captions of a corpus whose CLIP text embedding has cosine above
 * a threshold with the image embedding, best first, at most k of them (defaults k = 20, threshold 0.27).
 * An image may get none; it then contributes to ArcMargin only.
 */
public final class PseudoCaptions {

  public static final int DEFAULT_K = 20;
  public static final double DEFAULT_THRESHOLD = 0.27;

  private PseudoCaptions() {}

  /**
   * @param images n x dim L2-normalised image embeddings, row-major
   * @param captions m x dim L2-normalised caption embeddings, row-major
   * @return for each image, the indices of its captions, most similar first
   */
  public static List<int[]> mine(float[] images, int n, float[] captions, int m, int dim, int k, double threshold) {
    return mine(Parallel.SEQUENTIAL, images, n, captions, m, dim, k, threshold);
  }

  public static List<int[]> mine(Parallel parallel, float[] images, int n, float[] captions, int m, int dim, int k, double threshold) {
    if (images.length != n * dim || captions.length != m * dim) {
      throw new IllegalArgumentException("embedding arrays do not match n=" + n + ", m=" + m + ", dim=" + dim);
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, is " + k);
    }
    int[][] out = new int[n][];
    parallel.forEach(n, i -> {
      int[] top = new int[k];
      float[] score = new float[k];
      int filled = 0;
      for (int c = 0; c < m; c++) {
        float s = 0;
        for (int d = 0; d < dim; d++) {
          s += images[i * dim + d] * captions[c * dim + d];
        }
        if (s <= threshold || (filled == k && s <= score[k - 1])) {
          continue;
        }
        int p = filled < k ? filled++ : k - 1;
        while (p > 0 && score[p - 1] < s) {
          score[p] = score[p - 1];
          top[p] = top[p - 1];
          p--;
        }
        score[p] = s;
        top[p] = c;
      }
      out[i] = java.util.Arrays.copyOf(top, filled);
    });
    return new ArrayList<>(List.of(out));
  }
}
