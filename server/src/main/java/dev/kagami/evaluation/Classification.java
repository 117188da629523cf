package dev.kagami.evaluation;

import dev.kagami.concurrent.Parallel;

/**
 * Classification KPIs, as in Schall et al. (../shared/reference/method.md, "Evaluation protocols").
 *
 * <ul>
 *   <li>k-NN: each test image takes its k = 21 most similar train images; each neighbour votes for its
 *       class with weight {@code exp(similarity / 0.1)}; the class with the largest total wins (equal
 *       totals: the lower class id). Neighbours with equal similarity are taken in train order.
 *   <li>Zero-shot: each class is represented by the normalised mean of its prompt-template text
 *       embeddings; an image is assigned the class of highest cosine (equal: the lower class id).
 * </ul>
 * Top-1 accuracy overall and per true class.
 */
public final class Classification {

  public static final int DEFAULT_K = 21;
  public static final double DEFAULT_TEMPERATURE = 0.1;

  private Classification() {}

  public record Result(double accuracy, int total, double[] classAccuracy, int[] classTotal, int[] predictions) {}

  public static Result knn(Embeddings train, int[] trainLabels, Embeddings test, int[] testLabels, int numClasses, int k,
      double temperature) {
    return knn(Parallel.SEQUENTIAL, train, trainLabels, test, testLabels, numClasses, k, temperature);
  }

  public static Result knn(Parallel parallel, Embeddings train, int[] trainLabels, Embeddings test, int[] testLabels, int numClasses, int k,
      double temperature) {
    if (train.n() == 0) {
      throw new IllegalArgumentException("k-NN needs a non-empty train split");
    }
    int kk = Math.min(k, train.n());
    int[] pred = new int[test.n()];
    ThreadLocal<float[]> scoresTl = ThreadLocal.withInitial(() -> new float[train.n()]);
    parallel.forEach(test.n(), q -> {
      float[] scores = scoresTl.get();
      train.similarities(test.row(q), scores);
      // top-k by (score desc, index asc) with a small insertion buffer
      int[] top = new int[kk];
      int filled = 0;
      for (int i = 0; i < scores.length; i++) {
        if (filled < kk) {
          int p = filled++;
          while (p > 0 && scores[top[p - 1]] < scores[i]) {
            top[p] = top[p - 1];
            p--;
          }
          top[p] = i;
        } else if (scores[i] > scores[top[kk - 1]]) {
          int p = kk - 1;
          while (p > 0 && scores[top[p - 1]] < scores[i]) {
            top[p] = top[p - 1];
            p--;
          }
          top[p] = i;
        }
      }
      double[] votes = new double[numClasses];
      for (int j = 0; j < kk; j++) {
        votes[trainLabels[top[j]]] += Math.exp(scores[top[j]] / temperature);
      }
      pred[q] = argmax(votes);
    });
    return score(pred, testLabels, numClasses);
  }

  public static Result zeroShot(Embeddings images, int[] labels, Embeddings classEmbeddings) {
    return zeroShot(Parallel.SEQUENTIAL, images, labels, classEmbeddings);
  }

  public static Result zeroShot(Parallel parallel, Embeddings images, int[] labels, Embeddings classEmbeddings) {
    int numClasses = classEmbeddings.n();
    int[] pred = new int[images.n()];
    parallel.forEach(images.n(), q -> {
      double[] s = new double[numClasses];
      for (int c = 0; c < numClasses; c++) {
        s[c] = images.dot(q, classEmbeddings, c);
      }
      pred[q] = argmax(s);
    });
    return score(pred, labels, numClasses);
  }

  static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  static Result score(int[] pred, int[] labels, int numClasses) {
    double[] cAcc = new double[numClasses];
    int[] cTot = new int[numClasses];
    int correct = 0;
    for (int i = 0; i < pred.length; i++) {
      cTot[labels[i]]++;
      if (pred[i] == labels[i]) {
        correct++;
        cAcc[labels[i]]++;
      }
    }
    for (int c = 0; c < numClasses; c++) {
      cAcc[c] = cTot[c] == 0 ? Double.NaN : cAcc[c] / cTot[c];
    }
    return new Result(pred.length == 0 ? Double.NaN : correct / (double) pred.length, pred.length, cAcc, cTot, pred);
  }

  /** Normalised mean of each class's template embeddings: rows {@code c * templates .. (c+1) * templates - 1}. */
  public static Embeddings classPrototypes(Embeddings templateEmbeddings, int numClasses) {
    int t = templateEmbeddings.n() / numClasses;
    if (t * numClasses != templateEmbeddings.n() || t == 0) {
      throw new IllegalArgumentException(templateEmbeddings.n() + " template embeddings for " + numClasses + " classes");
    }
    int dim = templateEmbeddings.dim();
    float[] out = new float[numClasses * dim];
    for (int c = 0; c < numClasses; c++) {
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        float s = 0;
        for (int j = 0; j < t; j++) {
          s += templateEmbeddings.data()[(c * t + j) * dim + d];
        }
        out[c * dim + d] = s / t;
        norm += (double) out[c * dim + d] * out[c * dim + d];
      }
      float inv = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0;
      for (int d = 0; d < dim; d++) {
        out[c * dim + d] *= inv;
      }
    }
    return new Embeddings(numClasses, dim, out);
  }
}
