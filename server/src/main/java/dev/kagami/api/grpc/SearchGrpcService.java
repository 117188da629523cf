package dev.kagami.api.grpc;

import dev.kagami.api.v1.CollectionStats;
import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.DeleteCollectionRequest;
import dev.kagami.api.v1.DeleteCollectionResponse;
import dev.kagami.api.v1.DeleteRequest;
import dev.kagami.api.v1.DeleteResponse;
import dev.kagami.api.v1.Embedding;
import dev.kagami.api.v1.FilterClause;
import dev.kagami.api.v1.GetRequest;
import dev.kagami.api.v1.GetResponse;
import dev.kagami.api.v1.ListCollectionsRequest;
import dev.kagami.api.v1.ListCollectionsResponse;
import dev.kagami.api.v1.MetadataValue;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.ReindexProgress;
import dev.kagami.api.v1.ReindexRequest;
import dev.kagami.api.v1.SearchHit;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchResponse;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.SetAliasRequest;
import dev.kagami.api.v1.SetAliasResponse;
import dev.kagami.api.v1.StatsRequest;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import dev.kagami.api.v1.UpsertResponse;
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
import dev.kagami.index.FieldValue;
import dev.kagami.index.Filter;
import dev.kagami.index.Hit;
import dev.kagami.index.Reindexer;
import dev.kagami.index.IndexedItem;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * kagami.v1.SearchService over the embedded Lucene store. Images and texts are embedded with the
 * collection's model through the serving path; the store's blocking I/O runs on the index pool.
 */
@GrpcService
public class SearchGrpcService implements SearchServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(SearchServiceGrpc.bindService(this));
  }

  private final IndexResources index;
  private final Embedder embedder;
  private final ModelRegistry models;
  private final JobExecutor jobs;
  private final int maxInputs;

  public SearchGrpcService(IndexResources index, Embedder embedder, ModelRegistry models, JobExecutor jobs,
      dev.kagami.config.KagamiConfig config) {
    this.index = index;
    this.jobs = jobs;
    this.embedder = embedder;
    this.models = models;
    this.maxInputs = config.serving().maxInputsPerRequest();
  }

  static CollectionStats stats(CollectionInfo c) {
    String[] m = c.model().split("/", 2);
    return CollectionStats.newBuilder().setName(c.name()).setCount(c.count()).setDimension(c.dimension())
        .setModel(ModelRef.newBuilder().setName(m[0]).setVersion(m.length > 1 ? m[1] : "")).setSizeOnDiskBytes(c.sizeOnDiskBytes())
        .setQuarantinedRecords(c.quarantinedRecords())
        .build();
  }

  @Override
  public void createCollection(CreateCollectionRequest req, StreamObserver<CollectionStats> out) {
    Replies.later(out, () -> {
      ModelRuntime rt = models.resolve(req.getModel().getName(), req.getModel().getVersion());
      return index.run(() -> stats(index.store().createCollection(req.getName(), rt.dimension(), rt.name() + "/" + rt.version())));
    });
  }

  @Override
  public void stats(StatsRequest req, StreamObserver<CollectionStats> out) {
    Replies.later(out, () -> index.run(() -> stats(index.store().collection(req.getCollection()))));
  }

  /** The loaded model of a collection; FAILED_PRECONDITION when it is not loaded or another is asked for. */
  private ModelRuntime modelOf(CollectionSpec c, ModelRef asked) {
    String[] m = c.model().split("/", 2);
    if (!asked.getName().isEmpty() && (!asked.getName().equals(m[0])
        || (!asked.getVersion().isEmpty() && !asked.getVersion().equals(m[1])))) {
      throw new FailedPrecondition("collection '" + c.name() + "' holds vectors of " + c.model() + ", not of "
          + asked.getName() + (asked.getVersion().isEmpty() ? "" : "/" + asked.getVersion())
          + "; vectors of different models are not comparable");
    }
    try {
      return models.resolve(m[0], m[1]);
    } catch (InvalidInput e) {
      throw new FailedPrecondition("collection '" + c.name() + "' needs model " + c.model() + ", which is not loaded");
    }
  }

  static float[] normalized(String what, Embedding e, int dim) {
    if (e.getValuesCount() != dim) {
      throw new InvalidInput(what + " has dimension " + e.getValuesCount() + ", the collection's is " + dim);
    }
    float[] v = new float[dim];
    double n = 0;
    for (int i = 0; i < dim; i++) {
      v[i] = e.getValues(i);
      if (!Float.isFinite(v[i])) {
        throw new InvalidInput(what + " has a non-finite value");
      }
      n += (double) v[i] * v[i];
    }
    if (n == 0) {
      throw new InvalidInput(what + " is a zero vector");
    }
    float inv = (float) (1 / Math.sqrt(n));
    for (int i = 0; i < dim; i++) {
      v[i] *= inv;
    }
    return v;
  }

  static Map<String, FieldValue> fromProto(Map<String, MetadataValue> m) {
    Map<String, FieldValue> out = new HashMap<>();
    m.forEach((k, v) -> {
      switch (v.getKindCase()) {
        case TEXT -> out.put(k, FieldValue.of(v.getText()));
        case NUMBER -> out.put(k, FieldValue.of(v.getNumber()));
        default -> throw new InvalidInput("metadata field '" + k + "' has no value");
      }
    });
    return out;
  }

  static Map<String, MetadataValue> toProto(Map<String, FieldValue> m) {
    Map<String, MetadataValue> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k, v instanceof FieldValue.Str s ? MetadataValue.newBuilder().setText(s.value()).build()
        : MetadataValue.newBuilder().setNumber(((FieldValue.Num) v).value()).build()));
    return out;
  }

  @Override
  public void upsert(UpsertRequest req, StreamObserver<UpsertResponse> out) {
    Replies.later(out, () -> upsert(req));
  }

  CompletableFuture<UpsertResponse> upsert(UpsertRequest req) {
    if (req.getItemsCount() == 0) {
      throw new InvalidInput("no items to upsert");
    }
    return index.run(() -> index.store().spec(req.getCollection())).thenCompose(c -> upsertInto(c, req));
  }

  private CompletableFuture<UpsertResponse> upsertInto(CollectionSpec c, UpsertRequest req) {
    ModelRuntime rt = modelOf(c, ModelRef.getDefaultInstance());
    List<Integer> imageIdx = new ArrayList<>();
    List<EmbedInput> imageInputs = new ArrayList<>();
    for (int i = 0; i < req.getItemsCount(); i++) {
      UpsertItem it = req.getItems(i);
      switch (it.getContentCase()) {
        case IMAGE -> {
          imageIdx.add(i);
          imageInputs.add(EmbedInput.image(it.getImage().toByteArray()));
        }
        case VECTOR -> { }
        default -> throw new InvalidInput("item " + i + " ('" + it.getId() + "') has neither image nor vector");
      }
    }
    List<CompletableFuture<EmbedResult>> calls = new ArrayList<>();
    for (int s = 0; s < imageInputs.size(); s += maxInputs) {
      calls.add(embedder.embed(rt.name(), rt.version(), imageInputs.subList(s, Math.min(imageInputs.size(), s + maxInputs)),
          Deadlines.current()));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      List<float[]> imageVectors = new ArrayList<>();
      calls.forEach(f -> imageVectors.addAll(f.join().vectors()));
      return index.run(() -> {
        List<IndexedItem> items = new ArrayList<>(req.getItemsCount());
        int next = 0;
        for (int i = 0; i < req.getItemsCount(); i++) {
          UpsertItem it = req.getItems(i);
          float[] vec;
          String ref = "";
          if (it.hasImage()) {
            vec = imageVectors.get(next++);
            ref = index.images().put(it.getImage().toByteArray());
          } else {
            vec = normalized("vector of item '" + it.getId() + "'", it.getVector(), c.dimension());
          }
          items.add(new IndexedItem(it.getId(), vec, fromProto(it.getMetadataMap()), ref));
        }
        index.store().upsert(c.name(), items);
        return UpsertResponse.newBuilder().setUpserted(items.size()).build();
      });
    });
  }

  @Override
  public StreamObserver<UpsertRequest> upsertStream(StreamObserver<UpsertResponse> out) {
    ServerCallStreamObserver<UpsertResponse> call = (ServerCallStreamObserver<UpsertResponse>) out;
    call.disableAutoRequest();
    call.request(1);
    return new StreamObserver<>() {
      private int total;
      private int pending;
      private boolean halfClosed;
      private boolean finished;

      @Override
      public void onNext(UpsertRequest req) {
        synchronized (this) {
          pending++;
        }
        CompletableFuture<UpsertResponse> f;
        try {
          f = upsert(req);
        } catch (RuntimeException e) {
          f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((r, e) -> {
          synchronized (this) {
            pending--;
            if (finished) {
              return;
            }
            if (e != null) {
              finished = true;
              call.onError(GrpcErrors.toStatus(e));
              return;
            }
            total += r.getUpserted();
            if (halfClosed && pending == 0) {
              finish();
              return;
            }
          }
          call.request(1); // read the next message only once this one is durable
        });
      }

      private void finish() {
        finished = true;
        call.onNext(UpsertResponse.newBuilder().setUpserted(total).build());
        call.onCompleted();
      }

      @Override
      public synchronized void onError(Throwable t) {
        finished = true; // the client went away; what was acknowledged so far stays
      }

      @Override
      public synchronized void onCompleted() {
        halfClosed = true;
        if (pending == 0 && !finished) {
          finish();
        }
      }
    };
  }

  @Override
  public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
    Replies.later(out, () -> index.run(() ->
        DeleteResponse.newBuilder().setDeleted(index.store().delete(req.getCollection(), req.getIdsList())).build()));
  }

  @Override
  public void get(GetRequest req, StreamObserver<GetResponse> out) {
    Replies.later(out, () -> index.run(() -> {
      IndexedItem it = index.store().get(req.getCollection(), req.getId())
          .orElseThrow(() -> new NotFound("no item '" + req.getId() + "' in collection '" + req.getCollection() + "'"));
      Embedding.Builder e = Embedding.newBuilder();
      for (float x : it.vector()) {
        e.addValues(x);
      }
      return GetResponse.newBuilder().setId(it.id()).setVector(e).putAllMetadata(toProto(it.metadata()))
          .setImageRef(it.imageRef()).build();
    }));
  }

  static Filter filter(List<FilterClause> clauses) {
    List<Filter.Clause> out = new ArrayList<>();
    for (FilterClause c : clauses) {
      if (c.getField().isEmpty()) {
        throw new InvalidInput("a filter has no field");
      }
      switch (c.getConditionCase()) {
        case EQUALS -> out.add(new Filter.Equals(c.getField(), c.getEquals()));
        case IN -> out.add(new Filter.In(c.getField(), java.util.Set.copyOf(c.getIn().getValuesList())));
        case RANGE -> out.add(new Filter.Range(c.getField(),
            c.getRange().hasMin() ? c.getRange().getMin() : Double.NEGATIVE_INFINITY,
            c.getRange().hasMax() ? c.getRange().getMax() : Double.POSITIVE_INFINITY));
        default -> throw new InvalidInput("filter on '" + c.getField() + "' has no condition");
      }
    }
    return new Filter(out);
  }

  @Override
  public void search(SearchRequest req, StreamObserver<SearchResponse> out) {
    Replies.later(out, () -> {
      int k = req.getK() == 0 ? 10 : req.getK();
      Filter filter = filter(req.getFiltersList());
      // resolve the name (an alias, maybe) once: the query is embedded by that collection's model and run
      // against that collection, even if the alias switches meanwhile
      return index.run(() -> index.store().spec(req.getCollection())).thenCompose(c -> {
        ModelRuntime rt = modelOf(c, req.getModel());
        CompletableFuture<float[]> query = switch (req.getQueryCase()) {
          case TEXT -> embedder.embed(rt.name(), rt.version(), List.of(EmbedInput.text(req.getText())), Deadlines.current())
              .thenApply(r -> r.vectors().get(0));
          case IMAGE -> embedder.embed(rt.name(), rt.version(), List.of(EmbedInput.image(req.getImage().toByteArray())),
              Deadlines.current()).thenApply(r -> r.vectors().get(0));
          case ID -> index.run(() -> index.store().get(c.name(), req.getId())
              .orElseThrow(() -> new NotFound("no item '" + req.getId() + "' in collection '" + req.getCollection() + "'"))
              .vector());
          case VECTOR -> CompletableFuture.completedFuture(normalized("query vector", req.getVector(), c.dimension()));
          default -> throw new InvalidInput("the query needs text, image, id or vector");
        };
        return query.thenCompose(v -> index.run(() -> {
          SearchResponse.Builder b = SearchResponse.newBuilder()
              .setModel(ModelRef.newBuilder().setName(rt.name()).setVersion(rt.version()));
          for (Hit h : index.store().search(c.name(), v, k, filter)) {
            b.addHits(SearchHit.newBuilder().setId(h.id()).setScore(h.score()).putAllMetadata(toProto(h.metadata()))
                .setImageRef(h.imageRef()));
          }
          return b.build();
        }));
      });
    });
  }

  @Override
  public void listCollections(ListCollectionsRequest req, StreamObserver<ListCollectionsResponse> out) {
    Replies.later(out, () -> index.run(() -> ListCollectionsResponse.newBuilder()
        .addAllCollections(index.store().collections().stream().map(SearchGrpcService::stats).toList())
        .putAllAliases(index.store().aliases()).build()));
  }

  @Override
  public void deleteCollection(DeleteCollectionRequest req, StreamObserver<DeleteCollectionResponse> out) {
    Replies.later(out, () -> index.run(() -> {
      index.store().deleteCollection(req.getName());
      return DeleteCollectionResponse.getDefaultInstance();
    }));
  }

  @Override
  public void setAlias(SetAliasRequest req, StreamObserver<SetAliasResponse> out) {
    Replies.later(out, () -> index.run(() -> {
      index.store().setAlias(req.getAlias(), req.getCollection());
      return SetAliasResponse.getDefaultInstance();
    }));
  }

  @Override
  public void reindex(ReindexRequest req, StreamObserver<ReindexProgress> out) {
    ServerCallStreamObserver<ReindexProgress> call = (ServerCallStreamObserver<ReindexProgress>) out;
    try {
      if (req.getSource().isEmpty() || req.getTarget().isEmpty()) {
        throw new InvalidInput("re-index needs a source and a target collection");
      }
      ModelRuntime rt = models.resolve(req.getModel().getName(), req.getModel().getVersion());
      Reindexer.Request r = new Reindexer.Request(req.getSource(), req.getTarget(), rt.name() + "/" + rt.version(),
          rt.dimension(), req.getAlias(), req.getAllowMissing(), maxInputs);
      jobs.submit(() -> runReindex(r, rt, call));
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  /**
   * Embeds for a background job through the serving path; when the embedder's queue is full (live traffic
   * comes first) it waits and retries instead of failing the job.
   */
  private List<float[]> embedWithBackoff(ModelRuntime rt, List<EmbedInput> inputs) {
    for (int attempt = 1; ; attempt++) {
      try {
        return embedder.embed(rt.name(), rt.version(), inputs, dev.kagami.embedding.CallBudget.NONE).join().vectors();
      } catch (RuntimeException e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (!(cause instanceof dev.kagami.error.KagamiException.Overloaded) || attempt >= 100) {
          throw cause instanceof RuntimeException re ? re : e;
        }
        try {
          Thread.sleep(Math.min(2000, 20L * attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new dev.kagami.error.KagamiException.Cancelled("re-index interrupted");
        }
      }
    }
  }

  /** Runs on the job thread; progress goes to the caller while it listens, the job runs to its end regardless. */
  private void runReindex(Reindexer.Request r, ModelRuntime rt, ServerCallStreamObserver<ReindexProgress> call) {
    try {
      Reindexer.ImageEmbedder embed = images -> embedWithBackoff(rt, images.stream().map(EmbedInput::image).toList());
      Reindexer.Result result = new Reindexer(index.store(), index.images()).run(r, embed, p -> {
        synchronized (call) {
          if (!call.isCancelled()) {
            call.onNext(ReindexProgress.newBuilder().setDone(p.done()).setTotal(p.total()).setSkipped(p.skipped()).build());
          }
        }
      }, () -> false);
      synchronized (call) {
        if (!call.isCancelled()) {
          call.onNext(ReindexProgress.newBuilder().setDone(result.target().count()).setTotal(result.target().count() + result.skipped())
              .setSkipped(result.skipped()).setFinished(true).setTarget(stats(result.target())).setSwitched(result.switched())
              .addAllSkippedIds(result.skippedIds()).build());
          call.onCompleted();
        }
      }
    } catch (RuntimeException e) {
      synchronized (call) {
        if (!call.isCancelled()) {
          call.onError(GrpcErrors.toStatus(e));
        }
      }
    }
  }
}
