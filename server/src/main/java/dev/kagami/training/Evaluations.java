package dev.kagami.training;

import dev.kagami.config.KagamiConfig;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.evaluation.EmbeddingCache;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.ReportStore;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.persistence.StoredDataset;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Evaluates a model on a stored dataset and stores the report: the one place that owns the embedding
 * caches (one open file per model version and image tower, shared by EvaluationService and fine-tuning
 * runs, so each cache file has one writer).
 */
@ApplicationScoped
public class Evaluations {

  private final ReportStore reports;
  private final Path cacheDir;
  private final Map<String, EmbeddingCache> caches = new ConcurrentHashMap<>();

  private final dev.kagami.concurrent.Parallel parallel;

  private final dev.kagami.embedding.Embedder embedder;
  private final dev.kagami.embedding.ModelRegistry models;

  public Evaluations(ReportStore reports, KagamiConfig config, dev.kagami.concurrent.Parallel parallel,
      dev.kagami.embedding.Embedder embedder, dev.kagami.embedding.ModelRegistry models) {
    this.reports = reports;
    this.parallel = parallel;
    this.embedder = embedder;
    this.models = models;
    this.cacheDir = config.evaluation().embeddingCache();
  }

  public EvaluationReport evaluate(ModelRuntime model, StoredDataset d, Split split, Evaluator.Options options,
      ImportProgress progress) {
    EvaluationReport r = new Evaluator(model, cache(model), parallel, images(model)).evaluate(d.dataset(), d.splits(), split, d.spec().seed(), options,
        progress);
    reports.save(r);
    return r;
  }

  /** Unit vectors of {@code items}' images with {@code model}, in order, through its embedding cache. */
  public dev.kagami.evaluation.Embeddings embedImages(ModelRuntime model, java.util.List<dev.kagami.dataset.DatasetItem> items,
      ImportProgress progress) {
    return new Evaluator(model, cache(model), parallel, images(model)).embedGallery(items, progress);
  }

  /**
   * Images of a served model go through the serving path's admission control, as Embed calls do: when live
   * traffic fills the lane the evaluation waits and retries (live traffic comes first). A model that is not
   * in the registry (a tool's) is embedded directly.
   */
  private dev.kagami.evaluation.ImageEmbedder images(ModelRuntime model) {
    if (!models.loaded().contains(model.name() + "/" + model.version())) {
      return dev.kagami.evaluation.ImageEmbedder.direct(model, parallel.executor());
    }
    return inputs -> java.util.concurrent.CompletableFuture.supplyAsync(() -> embedder.embedPatiently(model.name(),
        model.version(), inputs, () -> false), parallel.executor());
  }

  private EmbeddingCache cache(ModelRuntime model) {
    return caches.computeIfAbsent(model.name() + "/" + model.version() + "/" + model.imageTowerId(), k -> {
      try {
        return EmbeddingCache.open(EmbeddingCache.fileFor(cacheDir, model), model.dimension());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the embedding cache: " + e.getMessage(), e);
      }
    });
  }

  @PreDestroy
  void close() {
    caches.values().forEach(EmbeddingCache::close);
  }
}
