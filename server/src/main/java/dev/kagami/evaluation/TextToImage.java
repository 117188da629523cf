package dev.kagami.evaluation;

import dev.kagami.concurrent.Parallel;

/**
 * Text-to-image retrieval (Schall et al. report R@5 on Flickr30k and MS-COCO; Kagami reports R@1/5/10):
 * each caption queries the image set; recall@K is the share of captions whose own image ranks within the
 * top K (pessimistic ties: images scoring the same as the target rank before it). Per class: by the
 * class of the caption's image.
 */
public final class TextToImage {

  public static final int[] KS = {1, 5, 10};

  private TextToImage() {}

  public record Result(double[] recall, int queries, double[][] classRecall, int[] classQueries) {
    public double recallAt(int k) {
      for (int i = 0; i < KS.length; i++) {
        if (KS[i] == k) {
          return recall[i];
        }
      }
      throw new IllegalArgumentException("recall@" + k + " is not computed");
    }
  }

  /**
   * @param captions caption embeddings
   * @param target for each caption, the index of its image in {@code images}
   */
  public static Result evaluate(Embeddings captions, int[] target, Embeddings images, int[] imageLabels, int numClasses) {
    return evaluate(Parallel.SEQUENTIAL, captions, target, images, imageLabels, numClasses);
  }

  public static Result evaluate(Parallel parallel, Embeddings captions, int[] target, Embeddings images, int[] imageLabels, int numClasses) {
    int q = captions.n();
    int[] rank = new int[q];
    ThreadLocal<float[]> scoresTl = ThreadLocal.withInitial(() -> new float[images.n()]);
    parallel.forEach(q, i -> {
      float[] scores = scoresTl.get();
      images.similarities(captions.row(i), scores);
      rank[i] = Ranking.rankOf(scores, target[i], -1);
    });
    double[] recall = new double[KS.length];
    double[][] cRecall = new double[numClasses][KS.length];
    int[] cQ = new int[numClasses];
    for (int i = 0; i < q; i++) {
      int c = imageLabels[target[i]];
      cQ[c]++;
      for (int j = 0; j < KS.length; j++) {
        if (rank[i] <= KS[j]) {
          recall[j]++;
          cRecall[c][j]++;
        }
      }
    }
    for (int j = 0; j < KS.length; j++) {
      recall[j] = q == 0 ? Double.NaN : recall[j] / q;
      for (int c = 0; c < numClasses; c++) {
        cRecall[c][j] = cQ[c] == 0 ? Double.NaN : cRecall[c][j] / cQ[c];
      }
    }
    return new Result(recall, q, cRecall, cQ);
  }
}
