package dev.kagami.index;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where embeddings are kept and searched. Implementations: {@link LuceneVectorStore} (embedded, the
 * default). Every method that changes data is durable when it returns: an acknowledged upsert survives a
 * crash of the process; and every read sees every write acknowledged before it began.
 */
public interface VectorStore extends AutoCloseable {

  /** How vectors are kept in the graph. */
  enum Quantization {
    /** float32 */
    NONE,
    /** int8 scalar quantization: about 4x less vector memory, at a recall cost the index bench measures. */
    INT8
  }

  /** Creates a collection for vectors of {@code model}, or returns the existing one if it matches. */
  CollectionInfo createCollection(String name, int dimension, String model, Quantization quantization);

  default CollectionInfo createCollection(String name, int dimension, String model) {
    return createCollection(name, dimension, model, Quantization.NONE);
  }

  List<CollectionInfo> collections();

  /**
   * The collection called {@code name}, or the one the alias {@code name} points to. Every method that takes
   * a collection name also takes an alias.
   */
  CollectionInfo collection(String name);

  /**
   * The dimension, model and quantization of the collection called {@code name} (or that the alias
   * {@code name} points to), without counting items or sizing files: what a request needs before it runs.
   */
  CollectionSpec spec(String name);

  /**
   * Points {@code alias} at {@code collection}, atomically: a search through the alias sees the old
   * collection or the new one, never neither. An alias cannot have a collection's name.
   */
  void setAlias(String alias, String collection);

  /** Alias name to collection name. */
  Map<String, String> aliases();

  /** Deletes a collection and its data; refused while an alias points to it. */
  void deleteCollection(String name);

  /** Inserts or replaces items by id, all or none; durable on return. */
  void upsert(String collection, List<IndexedItem> items);

  /** Deletes items by id; returns how many existed. Durable on return. */
  int delete(String collection, List<String> ids);

  Optional<IndexedItem> get(String collection, String id);

  /**
   * Hands every item of the collection to {@code consumer}, in batches of at most {@code batchSize}, each
   * item once, from a consistent view taken when the call starts (writes during the scan may or may not be
   * seen). Used to rebuild a collection for another model.
   */
  void forEach(String collection, int batchSize, java.util.function.Consumer<List<IndexedItem>> consumer);

  /** The {@code k} items most similar to {@code query} that pass {@code filter}, best first. */
  List<Hit> search(String collection, float[] query, int k, Filter filter);

  /**
   * Collections that exist but cannot serve (their data could not be opened), name to a reason for
   * operators. Calls naming them answer UNAVAILABLE; the other collections are not affected.
   */
  default Map<String, String> unavailableCollections() {
    return Map.of();
  }

  /** Merges the collection's segments into one, so searches walk one graph; slow, for after bulk loads. */
  void optimize(String collection);

  @Override
  void close();
}
