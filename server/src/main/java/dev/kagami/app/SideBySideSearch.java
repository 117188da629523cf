package dev.kagami.app;

import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.embedding.CallBudget;
import dev.kagami.embedding.EmbedInput;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.evaluation.Embeddings;
import dev.kagami.model.ModelId;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.training.Evaluations;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One query (a text, an image, or an item of the dataset) against one split of a stored dataset, ranked by
 * two model versions side by side: each side's top k with the item's class, whether it is of the query's
 * class, and precision@k. The split's image embeddings of each version come from the evaluation caches and
 * are kept in memory for the {@link #GALLERIES} galleries used last.
 */
@ApplicationScoped
public class SideBySideSearch {

  public static final int DEFAULT_K = 12;
  public static final int MAX_K = 100;
  static final int GALLERIES = 4;

  /** Exactly one of text, image and itemId; queryClass (the class hits are judged by) is taken from the item when not given. */
  public record Query(String dataset, String split, List<ModelId> models, String text, byte[] image, String itemId,
      String queryClass, int k) {}

  public record Hit(String id, String label, double score, boolean relevant) {}

  /** One model's ranking; precisionAtK is null when the query has no class. */
  /**
   * {@code threshold}: the version's calibrated relevance threshold for this kind of query (null: none), so the
   * hits above it can be told apart from those merely ranked.
   */
  public record Side(String model, List<Hit> hits, Double precisionAtK, Double threshold) {}

  public record Result(String dataset, String split, String queryClass, int k, int galleryImages, List<Side> sides) {}

  private record Gallery(List<DatasetItem> items, Embeddings vectors) {}

  private final ModelRegistry models;
  private final ModelService registered;
  private final DatasetRepository datasets;
  private final Evaluations evaluations;
  private final Map<String, Gallery> galleries = new LinkedHashMap<>(8, 0.75f, true);

  private final RelevanceThresholds thresholds;

  public SideBySideSearch(ModelRegistry models, ModelService registered, DatasetRepository datasets, Evaluations evaluations,
      RelevanceThresholds thresholds) {
    this.thresholds = thresholds;
    this.models = models;
    this.registered = registered;
    this.datasets = datasets;
    this.evaluations = evaluations;
  }

  public Result search(Query q) {
    if (q.dataset() == null || q.dataset().isBlank()) {
      throw new InvalidInput("dataset is required");
    }
    if (q.models() == null || q.models().size() != 2) {
      throw new InvalidInput("give exactly two model versions (name/version) to compare");
    }
    int given = (q.text() != null && !q.text().isBlank() ? 1 : 0) + (q.image() != null ? 1 : 0)
        + (q.itemId() != null && !q.itemId().isBlank() ? 1 : 0);
    if (given != 1) {
      throw new InvalidInput("give exactly one query: text, image or itemId");
    }
    int k = q.k() == 0 ? DEFAULT_K : q.k();
    if (k < 1 || k > MAX_K) {
      throw new InvalidInput("k must be between 1 and " + MAX_K + ": " + q.k());
    }
    q.models().forEach(registered::requireRegistered); // an unknown version is NOT_FOUND before any work
    StoredDataset d = datasets.find(q.dataset()).orElseThrow(() -> new NotFound("no dataset named '" + q.dataset() + "'"));
    Split split = EvaluationService.parseSplit(q.split());
    String queryClass = q.queryClass() == null || q.queryClass().isBlank() ? null : q.queryClass();
    if (queryClass != null && !d.dataset().classes().contains(queryClass)) {
      throw new InvalidInput("the dataset has no class '" + queryClass + "'");
    }
    DatasetItem queryItem = null;
    if (q.itemId() != null && !q.itemId().isBlank()) {
      queryItem = d.dataset().items().stream().filter(i -> i.id().equals(q.itemId())).findFirst()
          .orElseThrow(() -> new NotFound("dataset '" + q.dataset() + "' has no item '" + q.itemId() + "'"));
      queryClass = queryClass == null ? queryItem.label() : queryClass;
    }
    List<Side> sides = new ArrayList<>();
    int galleryImages = 0;
    for (ModelId id : q.models()) {
      try (ModelRegistry.Lease lease = models.lease(id.name(), id.version())) {
        ModelRuntime rt = lease.runtime();
        Gallery g = gallery(rt, d, split);
        galleryImages = g.items().size();
        float[] query = queryItem != null ? embed(rt, EmbedInput.image(queryItem.source().read()))
            : q.text() != null && !q.text().isBlank() ? embed(rt, EmbedInput.text(q.text())) : embed(rt, EmbedInput.image(q.image()));
        boolean text = queryItem == null && q.text() != null && !q.text().isBlank();
        Double threshold = thresholds.forQuery(id, text);
        Side side = rank(rt, g, query, queryItem, queryClass, k);
        sides.add(new Side(side.model(), side.hits(), side.precisionAtK(), threshold));
      }
    }
    return new Result(d.dataset().name(), split.name().toLowerCase(java.util.Locale.ROOT), queryClass, k, galleryImages, sides);
  }

  private static float[] embed(ModelRuntime rt, EmbedInput input) {
    return rt.submit(rt.prepare(List.of(input)), CallBudget.NONE).join().vectors().get(0);
  }

  private static Side rank(ModelRuntime rt, Gallery g, float[] query, DatasetItem self, String queryClass, int k) {
    float[] sims = new float[g.items().size()];
    g.vectors().similarities(query, sims);
    Integer[] order = new Integer[sims.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(sims[b], sims[a]));
    List<Hit> hits = new ArrayList<>(k);
    int relevant = 0;
    for (int i = 0; i < order.length && hits.size() < k; i++) {
      DatasetItem it = g.items().get(order[i]);
      if (self != null && it.id().equals(self.id())) {
        continue; // the query image itself is not a hit
      }
      boolean rel = queryClass != null && queryClass.equals(it.label());
      relevant += rel ? 1 : 0;
      hits.add(new Hit(it.id(), it.label(), sims[order[i]], rel));
    }
    Double precision = queryClass == null || hits.isEmpty() ? null : relevant / (double) hits.size();
    return new Side(rt.name() + "/" + rt.version(), hits, precision, null);
  }

  private Gallery gallery(ModelRuntime rt, StoredDataset d, Split split) {
    String key = rt.name() + "/" + rt.version() + "/" + rt.imageTowerId() + "|" + d.id() + "|" + split;
    synchronized (galleries) {
      Gallery g = galleries.get(key);
      if (g != null) {
        return g;
      }
    }
    List<DatasetItem> items = Splits.select(d.dataset(), d.splits(), split);
    if (items.isEmpty()) {
      throw new InvalidInput("the " + split.name().toLowerCase(java.util.Locale.ROOT) + " split of '" + d.dataset().name()
          + "' has no images");
    }
    Gallery g = new Gallery(items, evaluations.embedImages(rt, items, ImportProgress.NONE));
    synchronized (galleries) {
      galleries.put(key, g);
      while (galleries.size() > GALLERIES) {
        galleries.remove(galleries.keySet().iterator().next());
      }
    }
    return g;
  }
}
