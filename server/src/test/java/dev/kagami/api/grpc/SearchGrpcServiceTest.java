package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.DeleteRequest;
import dev.kagami.api.v1.Embedding;
import dev.kagami.api.v1.FilterClause;
import dev.kagami.api.v1.GetRequest;
import dev.kagami.api.v1.MetadataValue;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.NumberRange;
import dev.kagami.api.v1.SearchHit;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchResponse;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.StatsRequest;
import dev.kagami.api.v1.StringSet;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import dev.kagami.api.v1.UpsertResponse;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Images;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.Color;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SearchService over real gRPC: index images, find them by image, text, id and vector, with filters. */
@QuarkusTest
class SearchGrpcServiceTest {

  static ManagedChannel channel;
  static SearchServiceGrpc.SearchServiceBlockingStub search;

  @BeforeAll
  static void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().maxInboundMessageSize(32 << 20).build();
    search = SearchServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void close() {
    channel.shutdownNow();
  }

  static MetadataValue text(String s) {
    return MetadataValue.newBuilder().setText(s).build();
  }

  static MetadataValue num(double d) {
    return MetadataValue.newBuilder().setNumber(d).build();
  }


  @Test
  void index_images_and_find_them_every_way() {
    String col = "shop-" + UUID.randomUUID().toString().substring(0, 8);
    var stats = search.createCollection(CreateCollectionRequest.newBuilder().setName(col).build());
    assertThat(stats.getDimension()).isEqualTo(32);
    assertThat(stats.getModel().getName()).isEqualTo("tiny-clip");
    var golden = Fixtures.goldenImages();
    UpsertRequest.Builder up = UpsertRequest.newBuilder().setCollection(col);
    for (int i = 0; i < 10; i++) {
      up.addItems(UpsertItem.newBuilder().setId("img-" + i).setImage(ByteString.copyFrom(golden.get(i).bytes()))
          .putMetadata("kind", text(i % 2 == 0 ? "even" : "odd")).putMetadata("price", num(i * 10)));
    }
    assertThat(search.upsert(up.build()).getUpserted()).isEqualTo(10);
    assertThat(search.stats(StatsRequest.newBuilder().setCollection(col).build()).getCount()).isEqualTo(10);

    // by image: the same image is its own best match, cosine ~1
    SearchResponse byImage = search.search(SearchRequest.newBuilder().setCollection(col)
        .setImage(ByteString.copyFrom(golden.get(3).bytes())).setK(3).build());
    assertThat(byImage.getHits(0).getId()).isEqualTo("img-3");
    assertThat(byImage.getHits(0).getScore()).isGreaterThan(0.999f);
    assertThat(byImage.getHits(0).getImageRef()).startsWith("sha256:");
    assertThat(byImage.getModel().getName()).isEqualTo("tiny-clip");
    // by stored id, by vector (not normalised: the server normalises), by text
    assertThat(search.search(SearchRequest.newBuilder().setCollection(col).setId("img-5").setK(1).build()).getHits(0).getId())
        .isEqualTo("img-5");
    var stored = search.get(GetRequest.newBuilder().setCollection(col).setId("img-7").build());
    Embedding doubled = Embedding.newBuilder().addAllValues(stored.getVector().getValuesList().stream().map(x -> 2 * x).toList()).build();
    assertThat(search.search(SearchRequest.newBuilder().setCollection(col).setVector(doubled).setK(1).build()).getHits(0).getId())
        .isEqualTo("img-7");
    assertThat(search.search(SearchRequest.newBuilder().setCollection(col).setText("a photo").setK(10).build()).getHitsCount())
        .isEqualTo(10);
    // filters
    List<SearchHit> evenCheap = search.search(SearchRequest.newBuilder().setCollection(col).setId("img-0").setK(10)
        .addFilters(FilterClause.newBuilder().setField("kind").setEquals("even"))
        .addFilters(FilterClause.newBuilder().setField("price").setRange(NumberRange.newBuilder().setMax(40))).build()).getHitsList();
    assertThat(evenCheap).extracting(SearchHit::getId).containsExactlyInAnyOrder("img-0", "img-2", "img-4");
    assertThat(search.search(SearchRequest.newBuilder().setCollection(col).setId("img-0").setK(10)
        .addFilters(FilterClause.newBuilder().setField("kind").setIn(StringSet.newBuilder().addValues("odd"))).build())
        .getHitsCount()).isEqualTo(5);
    // delete
    assertThat(search.delete(DeleteRequest.newBuilder().setCollection(col).addIds("img-1").addIds("zzz").build()).getDeleted())
        .isEqualTo(1);
    assertThat(GrpcTesting.code(() -> search.get(GetRequest.newBuilder().setCollection(col).setId("img-1").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void upsert_stream_keeps_the_messages_before_a_bad_one_and_names_it() throws Exception {
    String col = "partial-" + UUID.randomUUID().toString().substring(0, 8);
    search.createCollection(CreateCollectionRequest.newBuilder().setName(col).build());
    GrpcTesting.Reply<UpsertResponse> reply = new GrpcTesting.Reply<>();
    StreamObserver<UpsertRequest> out = SearchServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .upsertStream(reply);
    byte[] png = Images.png(40, 30, Color.ORANGE);
    out.onNext(UpsertRequest.newBuilder().setCollection(col).addItems(UpsertItem.newBuilder().setId("good-1")
        .setImage(ByteString.copyFrom(png))).addItems(UpsertItem.newBuilder().setId("good-2")
        .setImage(ByteString.copyFrom(png))).build());
    out.onNext(UpsertRequest.newBuilder().setCollection(col).addItems(UpsertItem.newBuilder().setId("bad")).build());
    out.onCompleted();
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> reply.future.get(60, TimeUnit.SECONDS));
    io.grpc.Status st = io.grpc.Status.fromThrowable(t.getCause());
    assertThat(st.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(st.getDescription()).contains("message 1 of the stream (2 items written before it)")
        .contains("'bad'");
    assertThat(search.stats(StatsRequest.newBuilder().setCollection(col).build()).getCount()).isEqualTo(2);
  }

  @Test
  void upsert_stream_applies_every_message() throws Exception {
    String col = "bulk-" + UUID.randomUUID().toString().substring(0, 8);
    search.createCollection(CreateCollectionRequest.newBuilder().setName(col).build());
    GrpcTesting.Reply<UpsertResponse> reply = new GrpcTesting.Reply<>();
    CompletableFuture<UpsertResponse> done = reply.future;
    StreamObserver<UpsertRequest> out = SearchServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .upsertStream(reply);
    byte[] png = Images.png(120, 90, Color.MAGENTA);
    for (int m = 0; m < 5; m++) {
      UpsertRequest.Builder b = UpsertRequest.newBuilder().setCollection(col);
      for (int i = 0; i < 4; i++) {
        b.addItems(UpsertItem.newBuilder().setId("m" + m + "-" + i).setImage(ByteString.copyFrom(png)));
      }
      out.onNext(b.build());
    }
    out.onCompleted();
    assertThat(done.get(60, TimeUnit.SECONDS).getUpserted()).isEqualTo(20);
    assertThat(search.stats(StatsRequest.newBuilder().setCollection(col).build()).getCount()).isEqualTo(20);
  }

  @Test
  void wrong_model_wrong_dimension_unknown_collection_and_bad_items_are_refused() {
    String col = "refuse-" + UUID.randomUUID().toString().substring(0, 8);
    search.createCollection(CreateCollectionRequest.newBuilder().setName(col).build());
    assertThat(GrpcTesting.code(() -> search.search(SearchRequest.newBuilder().setCollection(col).setText("x")
        .setModel(ModelRef.newBuilder().setName("other-model")).build()))).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcTesting.code(() -> search.search(SearchRequest.newBuilder().setCollection(col)
        .setVector(Embedding.newBuilder().addValues(1).addValues(0)).build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> search.search(SearchRequest.newBuilder().setCollection("no-such").setText("x").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> search.search(SearchRequest.newBuilder().setCollection(col).build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> search.upsert(UpsertRequest.newBuilder().setCollection(col)
        .addItems(UpsertItem.newBuilder().setId("a")).build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> search.upsert(UpsertRequest.newBuilder().setCollection(col)
        .addItems(UpsertItem.newBuilder().setId("a").setImage(ByteString.copyFromUtf8("junk"))).build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> search.upsert(UpsertRequest.newBuilder().setCollection(col)
        .addItems(UpsertItem.newBuilder().setId("z").setVector(Embedding.newBuilder().addAllValues(
            java.util.Collections.nCopies(32, 0f)))).build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(search.stats(StatsRequest.newBuilder().setCollection(col).build()).getCount()).isZero();
  }

  @Test
  void reindex_behind_an_alias_then_search_through_it() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String v1 = "cat-v1-" + tag;
    String v2 = "cat-v2-" + tag;
    String alias = "cat-" + tag;
    search.createCollection(CreateCollectionRequest.newBuilder().setName(v1).build());
    var golden = Fixtures.goldenImages();
    UpsertRequest.Builder up = UpsertRequest.newBuilder().setCollection(v1);
    for (int i = 0; i < 6; i++) {
      up.addItems(UpsertItem.newBuilder().setId("img-" + i).setImage(ByteString.copyFrom(golden.get(i).bytes()))
          .putMetadata("n", num(i)));
    }
    float[] unit = new float[32];
    unit[0] = 1;
    Embedding.Builder vec = Embedding.newBuilder();
    for (float f : unit) {
      vec.addValues(f);
    }
    up.addItems(UpsertItem.newBuilder().setId("bare-vector").setVector(vec));
    search.upsert(up.build());
    search.setAlias(dev.kagami.api.v1.SetAliasRequest.newBuilder().setAlias(alias).setCollection(v1).build());

    List<dev.kagami.api.v1.ReindexProgress> progress = new java.util.ArrayList<>();
    search.reindex(dev.kagami.api.v1.ReindexRequest.newBuilder().setSource(alias).setTarget(v2).setAlias(alias).build())
        .forEachRemaining(progress::add);
    dev.kagami.api.v1.ReindexProgress last = progress.get(progress.size() - 1);
    assertThat(last.getFinished()).isTrue();
    assertThat(last.getSwitched()).as("a bare vector was skipped, so no switch").isFalse();
    assertThat(last.getSkippedIdsList()).containsExactly("bare-vector");
    assertThat(last.getTarget().getCount()).isEqualTo(6);
    // the re-index was a durable job: found again by its id, with its result
    var jobs = dev.kagami.api.v1.JobServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    assertThat(last.getJobId()).isNotEmpty();
    var job = jobs.getJob(dev.kagami.api.v1.GetJobRequest.newBuilder().setId(last.getJobId()).build());
    assertThat(job.getState()).isEqualTo(dev.kagami.api.v1.JobState.JOB_STATE_SUCCEEDED);
    assertThat(job.getKind()).isEqualTo(dev.kagami.api.v1.JobKind.JOB_KIND_REINDEX);
    assertThat(job.getResultJson()).contains("\"skipped\":1");
    List<dev.kagami.api.v1.Job> watched = new java.util.ArrayList<>();
    jobs.watchJob(dev.kagami.api.v1.WatchJobRequest.newBuilder().setId(last.getJobId()).build()).forEachRemaining(watched::add);
    assertThat(watched).singleElement().extracting(dev.kagami.api.v1.Job::getState)
        .isEqualTo(dev.kagami.api.v1.JobState.JOB_STATE_SUCCEEDED);
    assertThat(jobs.listJobs(dev.kagami.api.v1.ListJobsRequest.newBuilder()
        .setKind(dev.kagami.api.v1.JobKind.JOB_KIND_REINDEX).build()).getJobsList())
        .extracting(dev.kagami.api.v1.Job::getId).contains(last.getJobId());
    var listed = search.listCollections(dev.kagami.api.v1.ListCollectionsRequest.getDefaultInstance());
    assertThat(listed.getAliasesMap()).containsEntry(alias, v1);
    assertThat(listed.getCollectionsList()).extracting(c -> c.getName()).contains(v1, v2);

    search.setAlias(dev.kagami.api.v1.SetAliasRequest.newBuilder().setAlias(alias).setCollection(v2).build());
    SearchResponse byImage = search.search(SearchRequest.newBuilder().setCollection(alias)
        .setImage(ByteString.copyFrom(golden.get(3).bytes())).setK(3).build());
    assertThat(byImage.getHits(0).getId()).isEqualTo("img-3");
    assertThat(search.stats(StatsRequest.newBuilder().setCollection(alias).build()).getName()).isEqualTo(v2);
    assertThat(GrpcTesting.code(() -> search.deleteCollection(
        dev.kagami.api.v1.DeleteCollectionRequest.newBuilder().setName(v2).build()))).isEqualTo(Status.Code.FAILED_PRECONDITION);
    search.deleteCollection(dev.kagami.api.v1.DeleteCollectionRequest.newBuilder().setName(v1).build());
    assertThat(GrpcTesting.code(() -> search.stats(StatsRequest.newBuilder().setCollection(v1).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> search.setAlias(dev.kagami.api.v1.SetAliasRequest.newBuilder().setAlias(v2)
        .setCollection(v2).build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }
}
