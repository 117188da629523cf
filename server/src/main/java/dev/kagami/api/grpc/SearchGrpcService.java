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
import dev.kagami.app.IndexCommands;
import dev.kagami.app.IndexService;
import dev.kagami.app.JobService;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.index.CollectionInfo;
import dev.kagami.index.FieldValue;
import dev.kagami.index.Filter;
import dev.kagami.index.Hit;
import dev.kagami.job.Job;
import dev.kagami.job.JobState;
import dev.kagami.model.ModelId;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * kagami.v1.SearchService over {@link IndexService}: maps requests to commands and answers to messages.
 */
@GrpcService
public class SearchGrpcService implements SearchServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(SearchServiceGrpc.bindService(this));
  }

  private final IndexService index;
  private final JobService jobs;

  public SearchGrpcService(IndexService index, JobService jobs) {
    this.index = index;
    this.jobs = jobs;
  }

  static CollectionStats stats(CollectionInfo c) {
    ModelId m = ModelId.parse(c.model());
    return CollectionStats.newBuilder().setName(c.name()).setCount(c.count()).setDimension(c.dimension())
        .setModel(ModelRef.newBuilder().setName(m.name()).setVersion(m.version())).setSizeOnDiskBytes(c.sizeOnDiskBytes())
        .setQuarantinedRecords(c.quarantinedRecords())
        .build();
  }

  @Override
  public void createCollection(CreateCollectionRequest req, StreamObserver<CollectionStats> out) {
    Replies.later(out, () -> index.createCollection(req.getName(), ProtoMapping.modelId(req.getModel())).thenApply(SearchGrpcService::stats));
  }

  @Override
  public void stats(StatsRequest req, StreamObserver<CollectionStats> out) {
    Replies.later(out, () -> index.stats(req.getCollection()).thenApply(SearchGrpcService::stats));
  }

  static float[] values(Embedding e) {
    float[] v = new float[e.getValuesCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = e.getValues(i);
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
    List<IndexCommands.Entry> entries = new ArrayList<>(req.getItemsCount());
    for (int i = 0; i < req.getItemsCount(); i++) {
      UpsertItem it = req.getItems(i);
      switch (it.getContentCase()) {
        case IMAGE -> entries.add(new IndexCommands.Entry(it.getId(), it.getImage().toByteArray(), null,
            fromProto(it.getMetadataMap())));
        case VECTOR -> entries.add(new IndexCommands.Entry(it.getId(), null, values(it.getVector()), fromProto(it.getMetadataMap())));
        default -> throw new InvalidInput("item " + i + " ('" + it.getId() + "') has neither image nor vector");
      }
    }
    return index.upsert(req.getCollection(), entries, Deadlines.current())
        .thenApply(n -> UpsertResponse.newBuilder().setUpserted(n).build());
  }

  @Override
  public StreamObserver<UpsertRequest> upsertStream(StreamObserver<UpsertResponse> out) {
    return new UpsertStreamSession(this::upsert, (ServerCallStreamObserver<UpsertResponse>) out);
  }

  @Override
  public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
    Replies.later(out, () -> index.delete(req.getCollection(), req.getIdsList())
        .thenApply(n -> DeleteResponse.newBuilder().setDeleted(n).build()));
  }

  @Override
  public void get(GetRequest req, StreamObserver<GetResponse> out) {
    Replies.later(out, () -> index.get(req.getCollection(), req.getId()).thenApply(it -> {
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
      IndexCommands.Query q = switch (req.getQueryCase()) {
        case TEXT -> new IndexCommands.Query.Text(req.getText());
        case IMAGE -> new IndexCommands.Query.Image(req.getImage().toByteArray());
        case ID -> new IndexCommands.Query.ById(req.getId());
        case VECTOR -> new IndexCommands.Query.Vector(values(req.getVector()));
        default -> null;
      };
      return index.search(new IndexCommands.Search(req.getCollection(), ProtoMapping.modelId(req.getModel()), q, req.getK(),
          filter(req.getFiltersList()), req.getRelevantOnly()), Deadlines.current()).thenApply(r -> {
            SearchResponse.Builder b = SearchResponse.newBuilder()
                .setModel(ModelRef.newBuilder().setName(r.model().name()).setVersion(r.model().version()));
            if (r.threshold() != null) {
              b.setRelevanceThreshold(r.threshold().floatValue());
            }
            for (Hit h : r.hits()) {
              b.addHits(SearchHit.newBuilder().setId(h.id()).setScore(h.score()).putAllMetadata(toProto(h.metadata()))
                  .setImageRef(h.imageRef()).setRelevant(r.relevant(h)));
            }
            return b.build();
          });
    });
  }

  @Override
  public void listCollections(ListCollectionsRequest req, StreamObserver<ListCollectionsResponse> out) {
    Replies.later(out, () -> index.list().thenApply(l -> ListCollectionsResponse.newBuilder()
        .addAllCollections(l.collections().stream().map(SearchGrpcService::stats).toList()).putAllAliases(l.aliases()).build()));
  }

  @Override
  public void deleteCollection(DeleteCollectionRequest req, StreamObserver<DeleteCollectionResponse> out) {
    Replies.later(out, () -> index.deleteCollection(req.getName()).thenApply(v -> DeleteCollectionResponse.getDefaultInstance()));
  }

  @Override
  public void setAlias(SetAliasRequest req, StreamObserver<SetAliasResponse> out) {
    Replies.later(out, () -> index.setAlias(req.getAlias(), req.getCollection()).thenApply(v -> SetAliasResponse.getDefaultInstance()));
  }

  @Override
  @io.smallrye.common.annotation.Blocking // the source collection is looked up before the job starts
  public void reindex(ReindexRequest req, StreamObserver<ReindexProgress> out) {
    try {
      Job job = index.startReindex(new IndexCommands.Reindex(req.getSource(), req.getTarget(), ProtoMapping.modelId(req.getModel()),
          req.getAlias(), req.getAllowMissing()));
      JobStreams.follow(jobs, job.id(), (ServerCallStreamObserver<ReindexProgress>) out, j -> {
        if (j.state() != JobState.SUCCEEDED) {
          return ReindexProgress.newBuilder().setJobId(j.id().value()).setDone(j.progress().done())
              .setTotal(j.progress().total()).build();
        }
        IndexCommands.ReindexResult r = index.reindexResult(j);
        return ReindexProgress.newBuilder().setJobId(j.id().value()).setDone(r.count()).setTotal(r.count() + r.skipped())
            .setSkipped(r.skipped()).setFinished(true).setTarget(stats(index.stats(r.target()).join()))
            .setSwitched(r.switched()).addAllSkippedIds(r.skippedIds()).build();
      }, true);
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }
}
