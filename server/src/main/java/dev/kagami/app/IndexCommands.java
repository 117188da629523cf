package dev.kagami.app;

import dev.kagami.index.FieldValue;
import dev.kagami.index.Filter;
import dev.kagami.index.Hit;
import dev.kagami.model.ModelId;
import java.util.List;
import java.util.Map;

/** The commands and answers of {@link IndexService}, API-neutral. */
public final class IndexCommands {

  private IndexCommands() {}

  /** One item to upsert: exactly one of an encoded image (embedded and kept) or a vector (normalised). */
  public record Entry(String id, byte[] image, float[] vector, Map<String, FieldValue> metadata) {
    public Entry {
      metadata = metadata == null ? Map.of() : metadata;
    }
  }

  /** What to search by. */
  public sealed interface Query {
    record Text(String text) implements Query {}

    record Image(byte[] bytes) implements Query {}

    record ById(String id) implements Query {}

    record Vector(float[] values) implements Query {}
  }

  /**
   * @param model the model the caller expects the collection to be of (null: any); a mismatch is refused,
   *     since vectors of different models are not comparable
   * @param k hits wanted (0 = {@link IndexService#DEFAULT_K})
   * @param relevantOnly keep only the hits at or above the model version's relevance threshold for this kind of
   *     query (refused when the version has none)
   */
  public record Search(String collection, ModelId model, Query query, int k, Filter filter, boolean relevantOnly) {

    public Search(String collection, ModelId model, Query query, int k, Filter filter) {
      this(collection, model, query, k, filter, false);
    }
  }

  /**
   * The model that embedded the query, the hits, best first, and the model version's relevance threshold for
   * this kind of query (null when the version has none: evaluate it).
   */
  public record SearchResult(ModelId model, List<Hit> hits, Double threshold) {

    /** Whether a hit scores at or above the relevance threshold (false without one). */
    public boolean relevant(Hit h) {
      return threshold != null && h.score() >= threshold;
    }
  }

  /**
   * Rebuild {@code source} for {@code model} (null: the serving model) into {@code target}, then point
   * {@code alias} (empty: none) at it.
   */
  public record Reindex(String source, String target, ModelId model, String alias, boolean allowMissing) {}

  /** What a re-index job keeps as its result. */
  public record ReindexResult(String target, long count, long skipped, List<String> skippedIds, boolean switched) {}
}
