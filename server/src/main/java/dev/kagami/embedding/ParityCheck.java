package dev.kagami.embedding;

import dev.kagami.engine.EncoderEngine;
import dev.kagami.preprocess.ClipTokenizer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Runs the same probe inputs through two engines on one package and reports the worst cosine between
 * their embeddings. Probes: seeded random pixel tensors (within the normalised range) and a few texts.
 */
public final class ParityCheck {

  static final List<String> PROBE_TEXTS = List.of("a photo of a cat", "red running shoes", "", "a diagram of a gear");

  private ParityCheck() {}

  /** The smallest cosine over all probes (1.0 = identical). */
  public static double worstCosine(EncoderEngine a, EncoderEngine b, int imageSize, ClipTokenizer tokenizer) {
    int n = 3;
    float[] px = new float[n * 3 * imageSize * imageSize];
    SplittableRandom rnd = new SplittableRandom(42);
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) (rnd.nextDouble() * 4.0 - 2.0);
    }
    double worst = min(a.encodeImages(px, n), b.encodeImages(px, n), 1.0);
    int ctx = tokenizer.contextLength();
    long[] ids = new long[PROBE_TEXTS.size() * ctx];
    for (int i = 0; i < PROBE_TEXTS.size(); i++) {
      tokenizer.tokenize(PROBE_TEXTS.get(i), ids, i * ctx);
    }
    return min(a.encodeTexts(ids, PROBE_TEXTS.size()), b.encodeTexts(ids, PROBE_TEXTS.size()), worst);
  }

  private static double min(float[][] x, float[][] y, double worst) {
    for (int i = 0; i < x.length; i++) {
      worst = Math.min(worst, cosine(x[i], y[i]));
    }
    return worst;
  }

  /** Cosine similarity of two vectors (0 when either is zero). */
  public static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }
}
