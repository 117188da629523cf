package dev.kagami.engine.djl;

import dev.kagami.model.ModelManifest;

/**
 * Decides at load whether a text tower may run on fewer positions than its context length.
 *
 * <p>CLIP's text tower is causal and pools at the end-of-text token (the position of the highest id), so
 * the positions after the longest text of a batch cannot change any embedding, and cutting them off saves
 * most of the tower's work on short queries. That holds only for a tower that really is causal and
 * whose file accepts a shorter sequence axis (an ONNX export with a dynamic axis, a TorchScript trace that
 * slices its position table and mask by the input's length). Rather than trust the file, the probe runs a
 * few texts both ways and compares: any failure or any embedding below {@link #MIN_COSINE} of its
 * full-length one means the tower always gets the full context.
 */
final class TextLengthProbe {

  /** The least cosine between a cut and a full-length embedding of the same text. */
  static final double MIN_COSINE = 0.99999;

  /** Runs the tower on {@code n} rows of {@code length} ids. */
  interface TextTower {
    float[][] run(long[] ids, int n, int length);
  }

  private TextLengthProbe() {}

  /**
   * Whether {@code tower} gives the same embeddings on sequences cut right after their end-of-text token
   * as on the full {@code text.contextLength()}, for texts of several lengths, alone and as one batch.
   */
  static boolean allowsShortSequences(TextTower tower, ModelManifest.TextSpec text) {
    int context = text.contextLength();
    int[] contents = {0, Math.min(3, context - 2), Math.min(9, context - 2)};
    int n = contents.length;
    long[] full = new long[n * context];
    java.util.Arrays.fill(full, text.padTokenId());
    long top = Math.min(text.startTokenId(), text.endTokenId());
    for (int r = 0; r < n; r++) {
      full[r * context] = text.startTokenId();
      for (int i = 1; i <= contents[r]; i++) {
        long id = 1 + (i * 7919L + r * 104729L) % Math.max(1, top - 1);
        full[r * context + i] = id == text.padTokenId() ? id + 1 : id;
      }
      full[r * context + contents[r] + 1] = text.endTokenId();
    }
    try {
      float[][] reference = tower.run(full, n, context);
      int longest = 0;
      for (int r = 0; r < n; r++) {
        int len = contents[r] + 2;
        longest = Math.max(longest, len);
        float[][] alone = tower.run(java.util.Arrays.copyOfRange(full, r * context, r * context + len), 1, len);
        if (cosine(alone[0], reference[r]) < MIN_COSINE) {
          return false;
        }
      }
      float[][] together = tower.run(cut(full, n, context, longest), n, longest);
      for (int r = 0; r < n; r++) {
        if (cosine(together[r], reference[r]) < MIN_COSINE) {
          return false;
        }
      }
      return longest < context;
    } catch (RuntimeException e) {
      return false; // a fixed sequence axis, or a trace that baked the full length in
    }
  }

  /**
   * The positions a batch needs: up to and including each row's pooling position (its first highest id,
   * where CLIP pools), the longest row counted.
   */
  static int neededLength(long[] ids, int n, int context) {
    int needed = 1;
    for (int r = 0; r < n; r++) {
      int base = r * context;
      int at = 0;
      for (int i = 1; i < context; i++) {
        if (ids[base + i] > ids[base + at]) {
          at = i;
        }
      }
      needed = Math.max(needed, at + 1);
    }
    return needed;
  }

  /** The first {@code length} ids of each of the {@code n} rows of {@code context} ids. */
  static long[] cut(long[] ids, int n, int context, int length) {
    long[] out = new long[n * length];
    for (int r = 0; r < n; r++) {
      System.arraycopy(ids, r * context, out, r * length, length);
    }
    return out;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
