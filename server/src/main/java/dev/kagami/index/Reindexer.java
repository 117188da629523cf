package dev.kagami.index;

import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Rebuilds a collection for another model from the images it keeps, then switches an alias to the new
 * collection. Searches through the alias keep answering from the old collection while the new one is built,
 * and move to the new one in one atomic step ({@link VectorStore#setAlias}). The old collection is kept
 * (delete it when no longer needed). Ids, metadata and image references are carried over; each vector is
 * the new model's embedding of the kept image.
 *
 * <p>An item upserted as a bare vector has no kept image and cannot be rebuilt: it is skipped and reported,
 * and the alias is switched only if no item was skipped or {@link Request#allowMissing()} says so.
 */
public final class Reindexer {

  /** Embeds a batch of encoded images with the new model; unit vectors, one per image, in order. */
  @FunctionalInterface
  public interface ImageEmbedder {
    List<float[]> embed(List<byte[]> images);
  }

  /**
   * @param source the collection (or alias) to rebuild
   * @param target the new collection's name (it must not exist yet, or be empty and of the target model)
   * @param model the new model, {@code name/version}
   * @param dimension the new model's dimension
   * @param alias the alias to point at the target when done; empty for none
   * @param allowMissing switch even when items were skipped
   * @param batchSize images embedded and upserted per batch
   */
  public record Request(String source, String target, String model, int dimension, String alias, boolean allowMissing,
      int batchSize) {

    public Request {
      if (batchSize < 1 || batchSize > 4096) {
        throw new InvalidInput("re-index batch size must be in 1..4096, is " + batchSize);
      }
      alias = alias == null ? "" : alias;
    }
  }

  /** After each batch: items rebuilt, items in the source, items skipped so far. */
  public record Progress(long done, long total, long skipped) {}

  /** {@code skippedIds}: the first 100 skipped ids. */
  public record Result(CollectionInfo target, long skipped, List<String> skippedIds, boolean switched) {}

  private static final int SKIPPED_IDS_KEPT = 100;

  private final VectorStore store;
  private final ImageStore images;

  public Reindexer(VectorStore store, ImageStore images) {
    this.store = store;
    this.images = images;
  }

  public Result run(Request req, ImageEmbedder embedder, Consumer<Progress> progress, BooleanSupplier cancelled) {
    CollectionInfo source = store.collection(req.source());
    if (source.name().equals(req.target())) {
      throw new InvalidInput("re-index target '" + req.target() + "' is the source collection itself");
    }
    CollectionInfo target = store.createCollection(req.target(), req.dimension(), req.model());
    if (target.count() > 0) {
      throw new FailedPrecondition("re-index target '" + req.target() + "' already holds " + target.count() + " items");
    }
    long total = source.count();
    long[] done = {0};
    List<String> skippedIds = new ArrayList<>();
    long[] skipped = {0};
    store.forEach(source.name(), req.batchSize(), batch -> {
      if (cancelled.getAsBoolean()) {
        throw new Cancelled("re-index of '" + req.source() + "' into '" + req.target() + "' was cancelled");
      }
      List<IndexedItem> withImage = new ArrayList<>(batch.size());
      List<byte[]> bytes = new ArrayList<>(batch.size());
      for (IndexedItem it : batch) {
        if (it.imageRef().isEmpty()) {
          skipped[0]++;
          if (skippedIds.size() < SKIPPED_IDS_KEPT) {
            skippedIds.add(it.id());
          }
          continue;
        }
        withImage.add(it);
        bytes.add(images.get(it.imageRef()));
      }
      if (!withImage.isEmpty()) {
        List<float[]> vectors = embedder.embed(bytes);
        if (vectors.size() != withImage.size()) {
          throw new IllegalStateException("embedder returned " + vectors.size() + " vectors for " + withImage.size() + " images");
        }
        List<IndexedItem> rebuilt = new ArrayList<>(withImage.size());
        for (int i = 0; i < withImage.size(); i++) {
          IndexedItem it = withImage.get(i);
          rebuilt.add(new IndexedItem(it.id(), vectors.get(i), it.metadata(), it.imageRef()));
        }
        store.upsert(req.target(), rebuilt);
      }
      done[0] += withImage.size();
      progress.accept(new Progress(done[0], total, skipped[0]));
    });
    boolean doSwitch = !req.alias().isEmpty() && (skipped[0] == 0 || req.allowMissing());
    if (doSwitch) {
      store.setAlias(req.alias(), req.target());
    }
    return new Result(store.collection(req.target()), skipped[0], List.copyOf(skippedIds), doSwitch);
  }
}
