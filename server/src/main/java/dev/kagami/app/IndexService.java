package dev.kagami.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.app.IndexCommands.Entry;
import dev.kagami.app.IndexCommands.Query;
import dev.kagami.app.IndexCommands.ReindexResult;
import dev.kagami.app.IndexCommands.SearchResult;
import dev.kagami.config.KagamiConfig;
import dev.kagami.embedding.CallBudget;
import dev.kagami.embedding.EmbedInput;
import dev.kagami.embedding.EmbedResult;
import dev.kagami.embedding.Embedder;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.index.CollectionInfo;
import dev.kagami.index.CollectionSpec;
import dev.kagami.index.IndexedItem;
import dev.kagami.index.Reindexer;
import dev.kagami.job.Job;
import dev.kagami.job.JobKind;
import dev.kagami.model.ModelId;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Collections, items and queries over the vector store: images and text queries are embedded with the
 * collection's model through the serving path (the same admission control as Embed); the store's blocking
 * I/O runs on the index pool. Re-indexing is a durable job.
 */
@ApplicationScoped
public class IndexService {

  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(IndexService.class);

  public static final int DEFAULT_K = 10;
  public static final int MAX_K = 10_000;

  private final IndexResources index;
  private final Embedder embedder;
  private final ModelRegistry models;
  private final JobService jobs;
  private final int maxInputs;
  private final ObjectMapper json = new ObjectMapper();

  private final io.opentelemetry.api.trace.Tracer tracer;

  private final RelevanceThresholds thresholds;

  public IndexService(IndexResources index, Embedder embedder, ModelRegistry models, JobService jobs, KagamiConfig config,
      io.opentelemetry.api.trace.Tracer tracer, RelevanceThresholds thresholds) {
    this.tracer = tracer;
    this.thresholds = thresholds;
    this.index = index;
    this.embedder = embedder;
    this.models = models;
    this.jobs = jobs;
    this.maxInputs = config.serving().maxInputsPerRequest();
  }

  public CompletableFuture<CollectionInfo> createCollection(String name, ModelId model) {
    ModelRuntime rt = resolve(model);
    return index.run(() -> index.store().createCollection(name, rt.dimension(), rt.name() + "/" + rt.version()));
  }

  public CompletableFuture<CollectionInfo> stats(String collection) {
    return index.run(() -> index.store().collection(collection));
  }

  /** The collections, and the aliases (alias → collection). */
  public record Listing(List<CollectionInfo> collections, Map<String, String> aliases) {}

  public CompletableFuture<Listing> list() {
    return index.run(() -> new Listing(index.store().collections(), index.store().aliases()));
  }

  public CompletableFuture<Void> deleteCollection(String name) {
    return index.run(() -> {
      index.store().deleteCollection(name);
      return null;
    });
  }

  public CompletableFuture<Void> setAlias(String alias, String collection) {
    return index.run(() -> {
      index.store().setAlias(alias, collection);
      return null;
    });
  }

  private ModelRuntime resolve(ModelId model) {
    return model == null ? models.resolve("", "") : models.resolve(model.name(), model.version());
  }

  /** The loaded model of a collection; FAILED_PRECONDITION when it is not loaded or another is asked for. */
  private ModelRuntime modelOf(CollectionSpec c, ModelId asked) {
    ModelId m = ModelId.parse(c.model());
    if (asked != null && (!asked.name().equals(m.name()) || (!asked.version().isEmpty() && !asked.version().equals(m.version())))) {
      throw new FailedPrecondition("collection '" + c.name() + "' holds vectors of " + c.model() + ", not of " + asked
          + "; vectors of different models are not comparable");
    }
    try {
      return models.resolve(m.name(), m.version());
    } catch (InvalidInput notLoaded) {
      // not loaded in this process: it restarted after an alias left this version, or kagami.model.max-loaded
      // unloaded it; the collection's vectors are of this version, so load it from the repository
      try {
        ModelRuntime rt = models.load(m.name(), m.version());
        LOG.infof("loaded %s for collection '%s', whose vectors it made", c.model(), c.name());
        return rt;
      } catch (RuntimeException e) {
        throw new FailedPrecondition("collection '" + c.name() + "' needs model " + c.model()
            + ", which is not loaded and cannot be loaded here: " + e.getMessage());
      }
    }
  }

  /** A unit vector from {@code v}; refused when its dimension is not the collection's, or it is zero or not finite. */
  static float[] normalized(String what, float[] v, int dim) {
    if (v.length != dim) {
      throw new InvalidInput(what + " has dimension " + v.length + ", the collection's is " + dim);
    }
    float[] out = v.clone();
    double n = 0;
    for (float x : out) {
      if (!Float.isFinite(x)) {
        throw new InvalidInput(what + " has a non-finite value");
      }
      n += (double) x * x;
    }
    if (n == 0) {
      throw new InvalidInput(what + " is a zero vector");
    }
    float inv = (float) (1 / Math.sqrt(n));
    for (int i = 0; i < out.length; i++) {
      out[i] *= inv;
    }
    return out;
  }

  /** Upserts items, all or none; images are embedded by the collection's model and kept. Answers the count. */
  public CompletableFuture<Integer> upsert(String collection, List<Entry> entries, CallBudget budget) {
    if (entries.isEmpty()) {
      throw new InvalidInput("no items to upsert");
    }
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if ((e.image() == null) == (e.vector() == null)) {
        throw new InvalidInput("item " + i + " ('" + e.id() + "') needs exactly one of image or vector");
      }
    }
    return index.run(() -> index.store().spec(collection)).thenCompose(c -> upsertInto(c, entries, budget));
  }

  private CompletableFuture<Integer> upsertInto(CollectionSpec c, List<Entry> entries, CallBudget budget) {
    ModelRuntime rt = modelOf(c, null);
    List<EmbedInput> imageInputs = new ArrayList<>();
    for (Entry e : entries) {
      if (e.image() != null) {
        imageInputs.add(EmbedInput.image(e.image()));
      }
    }
    List<CompletableFuture<EmbedResult>> calls = new ArrayList<>();
    for (int s = 0; s < imageInputs.size(); s += maxInputs) {
      calls.add(embedder.embed(rt.name(), rt.version(), imageInputs.subList(s, Math.min(imageInputs.size(), s + maxInputs)),
          budget));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      List<float[]> imageVectors = new ArrayList<>();
      calls.forEach(f -> imageVectors.addAll(f.join().vectors()));
      return index.run(() -> {
        List<IndexedItem> items = new ArrayList<>(entries.size());
        int next = 0;
        for (Entry e : entries) {
          float[] vec;
          String ref = "";
          if (e.image() != null) {
            vec = imageVectors.get(next++);
            ref = index.images().put(e.image());
          } else {
            vec = normalized("vector of item '" + e.id() + "'", e.vector(), c.dimension());
          }
          items.add(new IndexedItem(e.id(), vec, e.metadata(), ref));
        }
        index.store().upsert(c.name(), items);
        return items.size();
      });
    });
  }

  public CompletableFuture<Integer> delete(String collection, List<String> ids) {
    return index.run(() -> index.store().delete(collection, ids));
  }

  public CompletableFuture<IndexedItem> get(String collection, String id) {
    return index.run(() -> item(collection, id));
  }

  private IndexedItem item(String collection, String id) {
    return index.store().get(collection, id)
        .orElseThrow(() -> new NotFound("no item '" + id + "' in collection '" + collection + "'"));
  }

  /** The stored image of an item (its bytes as upserted); NOT_FOUND when it was upserted as a vector. */
  public CompletableFuture<byte[]> image(String collection, String id) {
    return index.run(() -> {
      IndexedItem it = item(collection, id);
      if (it.imageRef().isEmpty()) {
        throw new NotFound("item '" + id + "' of collection '" + collection + "' was upserted as a vector and has no image");
      }
      return index.images().get(it.imageRef());
    });
  }

  /**
   * Searches a collection (or alias; resolved once, so the query is embedded by that collection's model
   * and run against it even if the alias moves meanwhile).
   */
  public CompletableFuture<SearchResult> search(IndexCommands.Search s, CallBudget budget) {
    int k = s.k() == 0 ? DEFAULT_K : s.k();
    if (k < 0 || k > MAX_K) {
      throw new InvalidInput("k must be 1.." + MAX_K + " (0 = " + DEFAULT_K + "), is " + s.k());
    }
    if (s.query() == null) {
      throw new InvalidInput("the query needs text, image, id or vector");
    }
    io.opentelemetry.context.Context caller = io.opentelemetry.context.Context.current(); // the call's span
    return index.run(() -> index.store().spec(s.collection())).thenCompose(c -> {
      try (io.opentelemetry.context.Scope scope = caller.makeCurrent()) { // a text or image query's spans join the call's
        return searchWith(c, s, k, budget, caller);
      }
    });
  }

  private CompletableFuture<SearchResult> searchWith(CollectionSpec c, IndexCommands.Search s, int k, CallBudget budget,
      io.opentelemetry.context.Context caller) {
    ModelRuntime rt = modelOf(c, s.model());
    CompletableFuture<float[]> query;
    if (s.query() instanceof Query.Text t) {
      query = embedder.embed(rt.name(), rt.version(), List.of(EmbedInput.text(t.text())), budget).thenApply(r -> r.vectors().get(0));
    } else if (s.query() instanceof Query.Image i) {
      query = embedder.embed(rt.name(), rt.version(), List.of(EmbedInput.image(i.bytes())), budget)
          .thenApply(r -> r.vectors().get(0));
    } else if (s.query() instanceof Query.ById b) {
      query = index.run(() -> item(c.name(), b.id()).vector());
    } else {
      query = CompletableFuture.completedFuture(normalized("query vector", ((Query.Vector) s.query()).values(), c.dimension()));
    }
    ModelId model = new ModelId(rt.name(), rt.version());
    Double threshold = thresholds.forQuery(model, s.query() instanceof Query.Text);
    if (s.relevantOnly() && threshold == null) {
      throw new FailedPrecondition("model " + model + " has no relevance threshold for " + (s.query() instanceof Query.Text
          ? "text" : "image") + " queries: evaluate it on a dataset" + (s.query() instanceof Query.Text ? " with captions" : "")
          + " first");
    }
    return query.thenCompose(v -> index.run(() -> {
      List<dev.kagami.index.Hit> hits = traced(caller, c.name(), k, () -> index.store().search(c.name(), v, k, s.filter()));
      return new SearchResult(model, s.relevantOnly() ? hits.stream().filter(h -> h.score() >= threshold).toList() : hits,
          threshold);
    }));
  }


  /** The store's search as a span {@code kagami.index.search}, a child of the call's: collection, k, store, hits. */
  private List<dev.kagami.index.Hit> traced(io.opentelemetry.context.Context parent, String collection, int k,
      java.util.function.Supplier<List<dev.kagami.index.Hit>> search) {
    io.opentelemetry.api.trace.Span span = tracer.spanBuilder("kagami.index.search").setParent(parent)
        .setAttribute("kagami.collection", collection).setAttribute("kagami.k", k)
        .setAttribute("kagami.store", index.store().getClass().getSimpleName()).startSpan();
    try {
      List<dev.kagami.index.Hit> hits = search.get();
      span.setAttribute("kagami.hits", hits.size());
      return hits;
    } catch (RuntimeException e) {
      span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
    }
  }

  /**
   * Checks a re-index (names given, source exists and differs from the target, model loaded) and starts it
   * as a job; it can be cancelled between batches.
   */
  public Job startReindex(IndexCommands.Reindex r) {
    if (r.source() == null || r.source().isEmpty() || r.target() == null || r.target().isEmpty()) {
      throw new InvalidInput("re-index needs a source and a target collection");
    }
    ModelRuntime rt = resolve(r.model());
    CollectionInfo source = index.store().collection(r.source());
    if (source.name().equals(r.target()) || r.source().equals(r.target())) {
      throw new InvalidInput("re-index target '" + r.target() + "' is the source collection itself");
    }
    Reindexer.Request req = new Reindexer.Request(r.source(), r.target(), rt.name() + "/" + rt.version(), rt.dimension(),
        r.alias(), r.allowMissing(), maxInputs);
    IndexCommands.Reindex effective = new IndexCommands.Reindex(r.source(), r.target(), new ModelId(rt.name(), rt.version()),
        r.alias() == null ? "" : r.alias(), r.allowMissing());
    return jobs.submit(JobKind.REINDEX, effective, ctx -> {
      Reindexer.ImageEmbedder embed = images -> embedder.embedPatiently(rt.name(), rt.version(),
          images.stream().map(EmbedInput::image).toList(), ctx::cancelled).vectors();
      Reindexer.Result result = new Reindexer(index.store(), index.images()).run(req, embed,
          p -> ctx.progress("re-indexing", p.done(), p.total()), ctx::cancelled);
      return new ReindexResult(result.target().name(), result.target().count(), result.skipped(), result.skippedIds(),
          result.switched());
    });
  }

  /** The result of a re-index job that succeeded. */
  public ReindexResult reindexResult(Job job) {
    try {
      return json.readValue(job.result(), ReindexResult.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("job " + job.id() + " holds no re-index result", e);
    }
  }
}
