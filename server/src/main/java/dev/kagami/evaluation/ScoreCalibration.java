package dev.kagami.evaluation;

import dev.kagami.concurrent.Parallel;

/**
 * Relevance thresholds of a model version, from an evaluation: the cosine above which a hit is relevant with
 * a chosen precision. A hit is relevant when its image is of the query's class (an image query's own class,
 * a caption's image's class; the query image itself is never a hit). Over every (query, candidate) pair of the
 * evaluated split, the threshold is the lowest score {@code t} at which the pairs scoring {@code t} or more
 * are relevant with at least the precision; the recall is the share of all relevant pairs that score that
 * much. Scores are counted in {@link #BINS} bins over [-1, 1] (a threshold is a bin's lower edge, resolution
 * 2 / BINS), so any number of pairs fits in fixed memory; at most {@link #MAX_QUERIES} queries (taken evenly)
 * are used. No threshold reaches the precision when even the best-scoring pairs fall short (null).
 */
public final class ScoreCalibration {

  /** The default precision a relevance threshold is computed for. */
  public static final double DEFAULT_PRECISION = 0.9;
  static final int BINS = 4096;
  static final int MAX_QUERIES = 2000;

  /** One threshold: the cosine, and the recall of relevant pairs at it. */
  public record Threshold(double score, double recall) {}

  /**
   * A version's thresholds for image queries and text queries, at one precision, from the report they are
   * in (null where the evaluation had no such queries, or no score reached the precision).
   */
  public record Calibration(double precision, Threshold imageQueries, Threshold textQueries) {}

  private ScoreCalibration() {}

  public static Calibration of(Parallel parallel, Embeddings images, int[] labels, Embeddings captions, int[] captionImage,
      double precision) {
    Threshold i2i = threshold(parallel, images, labels, images, labels, true, precision);
    Threshold t2i = null;
    if (captions != null && captions.n() > 0) {
      int[] captionLabels = new int[captionImage.length];
      for (int i = 0; i < captionImage.length; i++) {
        captionLabels[i] = labels[captionImage[i]];
      }
      t2i = threshold(parallel, captions, captionLabels, images, labels, false, precision);
    }
    return new Calibration(precision, i2i, t2i);
  }

  /** {@code self}: queries are the candidates themselves (image to image), so a query is never its own hit. */
  static Threshold threshold(Parallel parallel, Embeddings queries, int[] queryLabels, Embeddings candidates, int[] candidateLabels,
      boolean self, double precision) {
    int q = queries.n();
    int used = Math.min(q, MAX_QUERIES);
    long[] rel = new long[BINS];
    long[] cnt = new long[BINS];
    parallel.forEach(used, u -> {
      int i = (int) ((long) u * q / used);
      float[] scores = new float[candidates.n()];
      candidates.similarities(queries.row(i), scores);
      long[] qRel = new long[BINS];
      long[] qCnt = new long[BINS];
      for (int j = 0; j < scores.length; j++) {
        if (self && j == i) {
          continue;
        }
        int b = bin(scores[j]);
        qCnt[b]++;
        if (candidateLabels[j] == queryLabels[i]) {
          qRel[b]++;
        }
      }
      synchronized (rel) { // one query's histogram into the totals (not kept per query: 64 KB each)
        for (int b = 0; b < BINS; b++) {
          rel[b] += qRel[b];
          cnt[b] += qCnt[b];
        }
      }
    });
    long totalRelevant = 0;
    for (long r : rel) {
      totalRelevant += r;
    }
    if (totalRelevant == 0) {
      return null;
    }
    long tp = 0;
    long n = 0;
    int best = -1;
    long bestTp = 0;
    for (int b = BINS - 1; b >= 0; b--) {
      tp += rel[b];
      n += cnt[b];
      if (cnt[b] > 0 && tp >= precision * n) {
        best = b; // the lowest bin with pairs so far whose cumulative precision holds
        bestTp = tp;
      }
    }
    return best < 0 ? null : new Threshold(lowerEdge(best), (double) bestTp / totalRelevant);
  }

  static int bin(float score) {
    int b = (int) Math.floor((Math.max(-1f, Math.min(1f, score)) + 1) / 2 * BINS);
    return Math.min(BINS - 1, b);
  }

  static double lowerEdge(int bin) {
    return (double) bin / BINS * 2 - 1;
  }
}
