package dev.kagami.evaluation;

import java.util.List;

/**
 * {@code n} embeddings of dimension {@code dim}, row-major in one array. Rows are expected to be
 * L2-normalised, so a dot product is a cosine similarity.
 */
public record Embeddings(int n, int dim, float[] data) {

  public Embeddings {
    if (n < 0 || dim <= 0 || data.length != (long) n * dim) {
      throw new IllegalArgumentException("bad embeddings shape: n=" + n + " dim=" + dim + " length=" + data.length);
    }
  }

  public static Embeddings of(List<float[]> rows) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("no embeddings");
    }
    int dim = rows.get(0).length;
    float[] data = new float[rows.size() * dim];
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).length != dim) {
        throw new IllegalArgumentException("row " + i + " has dimension " + rows.get(i).length + ", expected " + dim);
      }
      System.arraycopy(rows.get(i), 0, data, i * dim, dim);
    }
    return new Embeddings(rows.size(), dim, data);
  }

  public float[] row(int i) {
    float[] r = new float[dim];
    System.arraycopy(data, i * dim, r, 0, dim);
    return r;
  }

  /** Similarities of {@code query} (length dim) to every row, into {@code out}. */
  public void similarities(float[] query, float[] out) {
    if (query.length != dim) {
      throw new IllegalArgumentException("query dimension " + query.length + " != " + dim);
    }
    for (int i = 0; i < n; i++) {
      int off = i * dim;
      float s = 0;
      for (int d = 0; d < dim; d++) {
        s += query[d] * data[off + d];
      }
      out[i] = s;
    }
  }

  /** Similarity of row {@code i} of this to row {@code j} of {@code other}. */
  public float dot(int i, Embeddings other, int j) {
    float s = 0;
    int a = i * dim;
    int b = j * other.dim;
    for (int d = 0; d < dim; d++) {
      s += data[a + d] * other.data[b + d];
    }
    return s;
  }
}
