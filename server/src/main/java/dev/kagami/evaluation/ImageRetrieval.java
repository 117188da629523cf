package dev.kagami.evaluation;

import dev.kagami.concurrent.Parallel;

/**
 * Image-to-image retrieval, GPR1200-style (Schall et al., see ../shared/reference/method.md, "Evaluation
 * protocols"): every image queries all other images of the set (itself excluded); an image is relevant
 * when it has the query's class.
 *
 * <ul>
 *   <li>AP of a query: the mean, over the relevant images, of the precision at each relevant image's
 *       rank, over the full ranking; mAP is the mean over queries with at least one relevant image.
 *   <li>mAP@R (Musgrave et al., "A Metric Learning Reality Check", 2020): with R the number of relevant
 *       images, {@code (1/R) sum_{i<=R} P@i * rel(i)}.
 *   <li>R@1 (CUB-style leave-one-out recall): whether the top-ranked image is relevant.
 * </ul>
 *
 * A query whose class has no other image is skipped (counted in {@code skippedQueries}). Ties are
 * pessimistic (see {@link Ranking}).
 */
public final class ImageRetrieval {

  private ImageRetrieval() {}

  /** Per-query values, indexable by class. */
  public record Result(double map, double mapAtR, double recallAt1, int queries, int skippedQueries,
      double[] classMap, double[] classMapAtR, double[] classRecallAt1, int[] classQueries) {}

  public static Result evaluate(Embeddings x, int[] labels, int numClasses) {
    return evaluate(Parallel.SEQUENTIAL, x, labels, numClasses);
  }

  public static Result evaluate(Parallel parallel, Embeddings x, int[] labels, int numClasses) {
    int n = x.n();
    if (labels.length != n) {
      throw new IllegalArgumentException(labels.length + " labels for " + n + " embeddings");
    }
    int[] classSize = new int[numClasses];
    for (int l : labels) {
      classSize[l]++;
    }
    double[] ap = new double[n];
    double[] apR = new double[n];
    double[] r1 = new double[n];
    boolean[] valid = new boolean[n];
    ThreadLocal<float[]> scoresTl = ThreadLocal.withInitial(() -> new float[n]);
    ThreadLocal<long[]> keysTl = ThreadLocal.withInitial(() -> new long[n]);
    ThreadLocal<boolean[]> relTl = ThreadLocal.withInitial(() -> new boolean[n]);
    ThreadLocal<boolean[]> rankedTl = ThreadLocal.withInitial(() -> new boolean[n]);
    parallel.forEach(n, q -> {
      int relevantCount = classSize[labels[q]] - 1;
      if (relevantCount <= 0) {
        return;
      }
      float[] scores = scoresTl.get();
      boolean[] rel = relTl.get();
      boolean[] ranked = rankedTl.get();
      x.similarities(x.row(q), scores);
      for (int i = 0; i < n; i++) {
        rel[i] = labels[i] == labels[q];
      }
      int m = Ranking.rankedRelevance(scores, rel, q, keysTl.get(), ranked);
      double sum = 0;
      double sumR = 0;
      int hits = 0;
      for (int r = 0; r < m && hits < relevantCount; r++) {
        if (ranked[r]) {
          hits++;
          double precision = hits / (double) (r + 1);
          sum += precision;
          if (r < relevantCount) {
            sumR += precision;
          }
        }
      }
      ap[q] = sum / relevantCount;
      apR[q] = sumR / relevantCount;
      r1[q] = ranked[0] ? 1 : 0;
      valid[q] = true;
    });
    double[] cMap = new double[numClasses];
    double[] cMapR = new double[numClasses];
    double[] cR1 = new double[numClasses];
    int[] cQ = new int[numClasses];
    double tMap = 0;
    double tMapR = 0;
    double tR1 = 0;
    int queries = 0;
    for (int q = 0; q < n; q++) {
      if (!valid[q]) {
        continue;
      }
      queries++;
      tMap += ap[q];
      tMapR += apR[q];
      tR1 += r1[q];
      int c = labels[q];
      cQ[c]++;
      cMap[c] += ap[q];
      cMapR[c] += apR[q];
      cR1[c] += r1[q];
    }
    for (int c = 0; c < numClasses; c++) {
      if (cQ[c] > 0) {
        cMap[c] /= cQ[c];
        cMapR[c] /= cQ[c];
        cR1[c] /= cQ[c];
      } else {
        cMap[c] = Double.NaN;
        cMapR[c] = Double.NaN;
        cR1[c] = Double.NaN;
      }
    }
    return new Result(queries == 0 ? Double.NaN : tMap / queries, queries == 0 ? Double.NaN : tMapR / queries,
        queries == 0 ? Double.NaN : tR1 / queries, queries, n - queries, cMap, cMapR, cR1, cQ);
  }
}
