package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kagami.api.v1.CollectionRebuild;
import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.DeleteCollectionRequest;
import dev.kagami.api.v1.GateRules;
import dev.kagami.api.v1.ImportModelRequest;
import dev.kagami.api.v1.Job;
import dev.kagami.api.v1.JobServiceGrpc;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.ModelServiceGrpc;
import dev.kagami.api.v1.PromoteRequest;
import dev.kagami.api.v1.PromoteResponse;
import dev.kagami.api.v1.RollbackRequest;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchResponse;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.SetAliasRequest;
import dev.kagami.api.v1.SetGateRulesRequest;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import dev.kagami.api.v1.WatchJobRequest;
import dev.kagami.testing.FineTuneProfile;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.PatternDataset;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Promoting another version offers to rebuild the collections bound to the one the alias leaves, and with
 * re-indexing asked for, rebuilds each behind its alias: the alias answers from the old collection until the
 * job has switched it, then from the rebuilt one, embedded by the new version.
 */
@QuarkusTest
@TestProfile(FineTuneProfile.class)
class ModelRebindGrpcTest {

  static ManagedChannel channel;
  static final ModelRef ONE = ModelRef.newBuilder().setName("tiny-clip").setVersion("1").build();
  static final ModelRef NINE = ModelRef.newBuilder().setName("tiny-clip").setVersion("9").build();

  @BeforeAll
  static void setUp() throws Exception {
    channel = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    PatternDataset.importInto(channel, "rebind");
  }

  @AfterAll
  static void tearDown() {
    channel.shutdownNow();
  }

  @Test
  void promotion_rebuilds_the_collections_of_the_version_it_leaves_behind_their_aliases() throws Exception {
    var models = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.SECONDS);
    var search = SearchServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    models.importModel(ImportModelRequest.newBuilder().setPath(ModelLifecycleGrpcTest.copyAs("9").toString()).build());
    models.setGateRules(SetGateRulesRequest.newBuilder().setAlias("production").setRules(GateRules.newBuilder().setMinMapGain(0)
        .setTextTolerance(0.02).setMaxClassApDrop(0.05).setMaxLatencyP99Ms(2000).setRequireParity(true)).build());
    String run = java.util.UUID.randomUUID().toString().substring(0, 6);
    String shopName = "rebind-shop-" + run;
    String bareName = "rebind-bare-" + run;
    String live = "rebind-live-" + run;
    var golden = Fixtures.goldenImages();
    for (String c : new String[] {shopName, bareName}) {
      search.createCollection(CreateCollectionRequest.newBuilder().setName(c).setModel(ONE).build());
      UpsertRequest.Builder up = UpsertRequest.newBuilder().setCollection(c);
      for (int i = 0; i < 4; i++) {
        up.addItems(UpsertItem.newBuilder().setId("img-" + i).setImage(ByteString.copyFrom(golden.get(i).bytes())));
      }
      search.upsert(up.build());
    }
    search.setAlias(SetAliasRequest.newBuilder().setAlias(live).setCollection(shopName).build());
    assertThat(search.search(SearchRequest.newBuilder().setCollection(live).setId("img-0").build()).getModel())
        .isEqualTo(ONE);

    PromoteResponse moved = models.promote(PromoteRequest.newBuilder().setAlias("production").setModel(NINE).setDataset("rebind")
        .setActor("test-admin").setReindexCollections(true).build());
    Map<String, CollectionRebuild> rebuilt = moved.getCollectionsList().stream()
        .filter(c -> c.getCollection().endsWith(run)).collect(Collectors.toMap(CollectionRebuild::getCollection, c -> c));
    assertThat(rebuilt).containsOnlyKeys(shopName, bareName);
    CollectionRebuild shop = rebuilt.get(shopName);
    assertThat(shop.getAlias()).isEqualTo(live);
    assertThat(shop.getTarget()).isEqualTo(shopName + "-v9");
    assertThat(shop.getJobId()).isNotEmpty();
    assertThat(rebuilt.get(bareName).getAlias()).isEmpty();
    assertThat(rebuilt.get(bareName).getNote()).contains("no alias points at it");

    Job done = last(JobServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS)
        .watchJob(WatchJobRequest.newBuilder().setId(shop.getJobId()).build()));
    assertThat(done.getState().name()).isEqualTo("JOB_STATE_SUCCEEDED");
    assertThat(done.getResultJson()).contains("\"switched\":true");
    SearchResponse after = search.search(SearchRequest.newBuilder().setCollection(live).setId("img-0").build());
    assertThat(after.getModel()).isEqualTo(NINE);
    assertThat(after.getHitsCount()).isEqualTo(4);

    // the collection searched by name is rebuilt beside it, and no alias moves
    Job bare = last(JobServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS)
        .watchJob(WatchJobRequest.newBuilder().setId(rebuilt.get(bareName).getJobId()).build()));
    assertThat(bare.getResultJson()).contains("\"switched\":false");
    assertThat(search.search(SearchRequest.newBuilder().setCollection(bareName + "-v9").setId("img-0").build()).getModel())
        .isEqualTo(NINE);

    // back to where the other tests expect production; the collections no alias serves go
    models.rollback(RollbackRequest.newBuilder().setAlias("production").setActor("test-admin").build());
    for (String c : new String[] {bareName + "-v9", shopName, bareName}) {
      search.deleteCollection(DeleteCollectionRequest.newBuilder().setName(c).build());
    }
  }

  @Test
  void relevant_only_on_a_version_never_evaluated_is_refused_and_says_what_to_do() throws Exception {
    var models = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.SECONDS);
    var search = SearchServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    ModelRef ten = ModelRef.newBuilder().setName("tiny-clip").setVersion("10").build();
    models.importModel(ImportModelRequest.newBuilder().setPath(ModelLifecycleGrpcTest.copyAs("10").toString()).build());
    models.loadModel(dev.kagami.api.v1.LoadModelRequest.newBuilder().setModel(ten).build());
    String col = "uncalibrated-" + java.util.UUID.randomUUID().toString().substring(0, 6);
    search.createCollection(CreateCollectionRequest.newBuilder().setName(col).setModel(ten).build());
    search.upsert(UpsertRequest.newBuilder().setCollection(col).addItems(UpsertItem.newBuilder().setId("a")
        .setImage(ByteString.copyFrom(Fixtures.goldenImages().get(0).bytes()))).build());
    SearchResponse plain = search.search(SearchRequest.newBuilder().setCollection(col).setId("a").build());
    assertThat(plain.hasRelevanceThreshold()).isFalse();
    assertThat(plain.getHits(0).getRelevant()).isFalse();
    assertThat(ModelLifecycleGrpcTest.message(() -> search.search(SearchRequest.newBuilder().setCollection(col).setText("a stripe")
        .setRelevantOnly(true).build()))).startsWith("FAILED_PRECONDITION")
        .contains("tiny-clip/10 has no relevance threshold for text queries", "evaluate it");
    search.deleteCollection(DeleteCollectionRequest.newBuilder().setName(col).build());
    models.deleteModel(dev.kagami.api.v1.DeleteModelRequest.newBuilder().setModel(ten).build());
  }

  @Test
  void a_collections_model_not_loaded_in_this_process_is_loaded_when_the_collection_needs_it() throws Exception {
    // as after a restart that followed a promotion away from it, or an unload by kagami.model.max-loaded
    var models = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.SECONDS);
    var search = SearchServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    ModelRef eleven = ModelRef.newBuilder().setName("tiny-clip").setVersion("11").build();
    models.importModel(ImportModelRequest.newBuilder().setPath(ModelLifecycleGrpcTest.copyAs("11").toString()).build());
    models.loadModel(dev.kagami.api.v1.LoadModelRequest.newBuilder().setModel(eleven).build());
    String col = "unloaded-" + java.util.UUID.randomUUID().toString().substring(0, 6);
    search.createCollection(CreateCollectionRequest.newBuilder().setName(col).setModel(eleven).build());
    var golden = Fixtures.goldenImages();
    search.upsert(UpsertRequest.newBuilder().setCollection(col).addItems(UpsertItem.newBuilder().setId("a")
        .setImage(ByteString.copyFrom(golden.get(0).bytes()))).build());
    models.unloadModel(dev.kagami.api.v1.UnloadModelRequest.newBuilder().setModel(eleven).build());
    assertThat(models.getModel(dev.kagami.api.v1.GetModelRequest.newBuilder().setModel(eleven).build()).getLoaded()).isFalse();

    search.upsert(UpsertRequest.newBuilder().setCollection(col).addItems(UpsertItem.newBuilder().setId("b")
        .setImage(ByteString.copyFrom(golden.get(1).bytes()))).build());
    SearchResponse byText = search.search(SearchRequest.newBuilder().setCollection(col).setText("a stripe").build());
    assertThat(byText.getModel()).isEqualTo(eleven);
    assertThat(byText.getHitsCount()).isEqualTo(2);
    assertThat(models.getModel(dev.kagami.api.v1.GetModelRequest.newBuilder().setModel(eleven).build()).getLoaded()).isTrue();
    search.deleteCollection(DeleteCollectionRequest.newBuilder().setName(col).build());
    models.deleteModel(dev.kagami.api.v1.DeleteModelRequest.newBuilder().setModel(eleven).build());
  }

  static <T> T last(Iterator<T> it) {
    T last = null;
    while (it.hasNext()) {
      last = it.next();
    }
    return last;
  }
}
