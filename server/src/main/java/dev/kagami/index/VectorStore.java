package dev.kagami.index;

import java.util.List;
import java.util.Optional;

/**
 * Where embeddings are kept and searched. Implementations: {@link LuceneVectorStore} (embedded, the
 * default). Every method that changes data is durable when it returns: an acknowledged upsert survives a
 * crash of the process.
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

  CollectionInfo collection(String name);

  /** Inserts or replaces items by id, all or none; durable on return. */
  void upsert(String collection, List<IndexedItem> items);

  /** Deletes items by id; returns how many existed. Durable on return. */
  int delete(String collection, List<String> ids);

  Optional<IndexedItem> get(String collection, String id);

  /** The {@code k} items most similar to {@code query} that pass {@code filter}, best first. */
  List<Hit> search(String collection, float[] query, int k, Filter filter);

  @Override
  void close();
}
