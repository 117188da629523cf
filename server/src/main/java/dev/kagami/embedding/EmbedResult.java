package dev.kagami.embedding;

import java.util.List;

/**
 * Embeddings of one request, in input order, and the model that produced them.
 *
 * @param vectors one L2-normalised vector per input
 */
public record EmbedResult(String modelName, String modelVersion, int dimension, List<float[]> vectors) {
  public EmbedResult {
    vectors = List.copyOf(vectors);
  }
}
