package dev.kagami.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * DJL translator for one CLIP tower: a whole preprocessed batch in, L2-normalised embeddings out. Image
 * decoding and tokenization happen before (in {@code preprocess}), so this stays engine-agnostic and
 * cheap; batching is Kagami's own (dynamic, across requests), hence no DJL batchifier.
 */
final class EmbeddingTranslator implements NoBatchifyTranslator<TensorInput, float[][]> {

  private final String outputName;
  private final int dimension;

  EmbeddingTranslator(String outputName, int dimension) {
    this.outputName = outputName;
    this.dimension = dimension;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, TensorInput in) {
    NDManager m = ctx.getNDManager();
    Shape shape = new Shape(in.shape());
    NDArray a = in.floats() != null ? m.create(FloatBuffer.wrap(in.floats()), shape)
        : m.create(LongBuffer.wrap(in.longs()), shape);
    if (in.name() != null) {
      a.setName(in.name());
    }
    return new NDList(a);
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    NDArray out = null;
    if (outputName != null && list.size() > 1) {
      out = list.get(outputName);
    }
    if (out == null) {
      out = list.get(0);
    }
    Shape s = out.getShape();
    if (s.dimension() != 2 || s.get(1) != dimension) {
      throw new IllegalStateException("output " + (out.getName() == null ? "#0" : out.getName()) + " has shape " + s
          + ", expected [N, " + dimension + "]");
    }
    float[] flat = out.toFloatArray();
    int n = (int) s.get(0);
    float[][] rows = new float[n][dimension];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * dimension, rows[i], 0, dimension);
      normalize(rows[i]);
    }
    return rows;
  }

  /** L2-normalises {@code v} in place (a zero vector stays zero). */
  static void normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (sum > 0) {
      float inv = (float) (1.0 / Math.sqrt(sum));
      for (int i = 0; i < v.length; i++) {
        v[i] *= inv;
      }
    }
  }
}
