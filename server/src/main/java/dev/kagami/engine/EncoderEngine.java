package dev.kagami.engine;

/**
 * Runs a CLIP package's two towers. Implementations are thread-safe: they pool whatever per-thread state
 * their runtime needs. Inputs are already preprocessed; outputs are L2-normalised embeddings, one row per
 * input.
 */
public interface EncoderEngine extends AutoCloseable {

  /** Which engine this is. */
  EngineKind kind();

  /** Embedding dimension, checked against the package at load. */
  int dimension();

  /**
   * Embeds {@code n} images.
   *
   * @param pixels {@code n x 3 x size x size} normalised pixels, channel-first
   */
  float[][] encodeImages(float[] pixels, int n);

  /**
   * Embeds {@code n} texts.
   *
   * @param ids {@code n x contextLength} token ids
   */
  float[][] encodeTexts(long[] ids, int n);

  /**
   * Whether {@link #encodeTexts} runs the text tower on only the positions a batch needs (up to its
   * longest text's end-of-text token) rather than the full context; decided at open by comparing both on
   * probe texts, so the embeddings are the same either way.
   */
  default boolean shortTextSequences() {
    return false;
  }

  @Override
  void close();
}
