package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.DeleteModelRequest;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.GateRules;
import dev.kagami.api.v1.GateVerdict;
import dev.kagami.api.v1.GetModelRequest;
import dev.kagami.api.v1.ImportModelRequest;
import dev.kagami.api.v1.ListAliasEventsRequest;
import dev.kagami.api.v1.ListAliasesRequest;
import dev.kagami.api.v1.ListModelsRequest;
import dev.kagami.api.v1.ModelOrigin;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.ModelServiceGrpc;
import dev.kagami.api.v1.ModelVersion;
import dev.kagami.api.v1.PromoteRequest;
import dev.kagami.api.v1.PromoteResponse;
import dev.kagami.api.v1.RollbackRequest;
import dev.kagami.api.v1.SetGateRulesRequest;
import dev.kagami.api.v1.UnloadModelRequest;
import dev.kagami.testing.FineTuneProfile;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.PatternDataset;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model lifecycle over real gRPC, as a user runs it: the registry lists what the repository held at
 * start-up, an imported version is registered with its checks, the gate judges it against production on a
 * stored dataset (evaluating both), refuses it under stricter rules unless overridden with a reason, and
 * the alias moves back and forth under load with no failed call while a broken version is refused.
 */
@QuarkusTest
@TestProfile(FineTuneProfile.class)
class ModelLifecycleGrpcTest {

  static ManagedChannel channel;
  static ModelServiceGrpc.ModelServiceBlockingStub models;
  static final ModelRef ONE = ModelRef.newBuilder().setName("tiny-clip").setVersion("1").build();
  static final ModelRef TWO = ModelRef.newBuilder().setName("tiny-clip").setVersion("2").build();
  static final ModelRef THREE = ModelRef.newBuilder().setName("tiny-clip").setVersion("3").build();

  @BeforeAll
  static void setUp() throws Exception {
    channel = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    models = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.SECONDS);
    PatternDataset.importInto(channel, "lifecycle");
  }

  @AfterAll
  static void tearDown() {
    channel.shutdownNow();
  }

  /** The tiny fixture under another version (same weights), in a folder under the import roots. */
  static Path copyAs(String version) throws Exception {
    Path dir = Files.createTempDirectory("kagami-model").resolve("tiny-clip-" + version);
    Fixtures.copyTree(Fixtures.TINY_CLIP, dir);
    Path manifest = dir.resolve("kagami-model.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"version\": \"1\"", "\"version\": \"" + version + "\""));
    return dir;
  }

  static PromoteRequest.Builder promote(ModelRef to) {
    return PromoteRequest.newBuilder().setAlias("production").setModel(to).setDataset("lifecycle").setActor("test-admin");
  }

  static String embedVersion(EmbeddingServiceGrpc.EmbeddingServiceBlockingStub embed) {
    EmbedResponse r = embed.withDeadlineAfter(30, TimeUnit.SECONDS).embed(EmbedRequest.newBuilder()
        .addInputs(EmbedInput.newBuilder().setText("horizontal stripes")).build());
    assertThat(r.getEmbeddingsCount()).isEqualTo(1);
    return r.getModel().getName() + "/" + r.getModel().getVersion();
  }

  @Test
  void import_gate_promote_swap_under_load_rollback_and_delete() throws Exception {
    // the repository's package was registered at start-up and serves production
    ModelVersion one = models.getModel(GetModelRequest.newBuilder().setModel(ONE).build());
    assertThat(one.getOrigin()).isEqualTo(ModelOrigin.MODEL_ORIGIN_FOUND);
    assertThat(one.getChecksum()).hasSize(64);
    assertThat(one.getEnginesList()).containsExactly("onnxruntime", "pytorch");
    assertThat(one.getAliasesList()).contains("production");
    assertThat(models.listAliases(ListAliasesRequest.getDefaultInstance()).getAliasesList())
        .anySatisfy(a -> {
          assertThat(a.getAlias()).isEqualTo("production");
          assertThat(a.getServingHere()).isEqualTo("tiny-clip/1");
        });

    // import: checked, copied, registered with its parity; the same files again are the same version
    Path two = copyAs("2");
    ModelVersion imported = models.importModel(ImportModelRequest.newBuilder().setPath(two.toString()).setActor("alice").build());
    assertThat(imported.getOrigin()).isEqualTo(ModelOrigin.MODEL_ORIGIN_IMPORTED);
    assertThat(imported.getCreatedBy()).isEqualTo("alice");
    assertThat(imported.getParity()).isGreaterThan(0.9999);
    assertThat(imported.getChecksum()).isNotEqualTo(one.getChecksum()); // the manifest differs
    assertThat(FineTuneProfile.REPOSITORY.resolve("tiny-clip/2/kagami-model.json")).exists();
    assertThat(models.importModel(ImportModelRequest.newBuilder().setPath(two.toString()).build()).getChecksum())
        .isEqualTo(imported.getChecksum());
    Path changed = copyAs("2");
    Files.writeString(changed.resolve("kagami-model.json"), Files.readString(changed.resolve("kagami-model.json"))
        .replace("a test fixture", "a changed fixture"));
    assertThat(message(() -> models.importModel(ImportModelRequest.newBuilder().setPath(changed.toString()).build())))
        .startsWith("FAILED_PRECONDITION").contains("never changes");
    assertThat(message(() -> models.importModel(ImportModelRequest.newBuilder().setPath("/etc").build())))
        .startsWith("INVALID_ARGUMENT");
    assertThat(models.listModels(ListModelsRequest.getDefaultInstance()).getModelsList()).extracting(m -> m.getModel().getVersion())
        .contains("1", "2");

    // the gate on the same dataset and split: same weights, so every figure is equal and every rule passes
    GateVerdict verdict = models.checkGate(promote(TWO).build());
    assertThat(verdict.getPassed()).as(verdict.toString()).isTrue();
    assertThat(verdict.getRulesList()).hasSize(6);
    assertThat(verdict.getRules(0).getName()).isEqualTo("image-to-image mAP");
    assertThat(verdict.getRules(0).getCandidate()).isEqualTo(verdict.getRules(0).getCurrent());
    assertThat(verdict.getCurrentReportId()).isNotEqualTo(verdict.getCandidateReportId());

    // stricter rules refuse it, naming the rule; an override with a reason moves it and is audited
    models.setGateRules(SetGateRulesRequest.newBuilder().setAlias("production").setRules(GateRules.newBuilder()
        .setMinMapGain(0.05).setTextTolerance(0.02).setMaxClassApDrop(0.05).setMaxLatencyP99Ms(2000).setRequireParity(true))
        .build());
    assertThat(message(() -> models.promote(promote(TWO).build()))).startsWith("FAILED_PRECONDITION")
        .contains("image-to-image mAP", "override");
    var embed = EmbeddingServiceGrpc.newBlockingStub(channel);
    assertThat(embedVersion(embed)).isEqualTo("tiny-clip/1");
    PromoteResponse moved = models.promote(promote(TWO).setOverrideReason("same weights, new packaging").build());
    assertThat(moved.getOverridden()).isTrue();
    assertThat(moved.getAlias().getGeneration()).isEqualTo(2);
    assertThat(moved.getPrevious()).isEqualTo(ONE);
    assertThat(embedVersion(embed)).isEqualTo("tiny-clip/2");

    // a version whose files broke after registration fails to load: refused, production keeps serving
    Path three = copyAs("3");
    models.importModel(ImportModelRequest.newBuilder().setPath(three.toString()).build());
    Files.write(FineTuneProfile.REPOSITORY.resolve("tiny-clip/3/visual.onnx"), new byte[] {1, 2, 3});

    // under load: the alias moves back and forth; no call fails and each names the version that served it
    models.setGateRules(SetGateRulesRequest.newBuilder().setAlias("production").setRules(GateRules.newBuilder()
        .setMinMapGain(0).setTextTolerance(0.02).setMaxClassApDrop(0.05).setMaxLatencyP99Ms(2000).setRequireParity(true))
        .build());
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger calls = new AtomicInteger();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    Map<String, Integer> served = new ConcurrentHashMap<>();
    List<Thread> clients = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread c = new Thread(() -> {
        while (!stop.get()) {
          try {
            served.merge(embedVersion(embed), 1, Integer::sum);
          } catch (StatusRuntimeException e) {
            failures.merge(e.getStatus().getCode() + ": " + e.getStatus().getDescription(), 1, Integer::sum);
          }
          calls.incrementAndGet();
        }
      });
      c.start();
      clients.add(c);
    }
    Thread.sleep(200);
    String broken = null;
    for (int i = 0; i < 6; i++) {
      if (i == 3) {
        broken = message(() -> models.promote(promote(THREE).build()));
      }
      models.rollback(RollbackRequest.newBuilder().setAlias("production").setActor("test-admin").setReason("swap " + i).build());
      Thread.sleep(100);
    }
    stop.set(true);
    for (Thread c : clients) {
      c.join(30_000);
    }
    System.out.printf("hot swap under load: %d Embed calls by 4 clients during 6 alias moves and one refused broken "
        + "version, %d failed; served %s; broken: %s%n", calls.get(), failures.values().stream().mapToInt(i -> i).sum(), served,
        broken);
    assertThat(failures).as("failed calls during %d calls and 6 swaps", calls.get()).isEmpty();
    assertThat(calls.get()).isGreaterThan(20);
    assertThat(served.keySet()).containsExactlyInAnyOrder("tiny-clip/1", "tiny-clip/2");
    assertThat(broken).isNotNull().doesNotStartWith("OK").contains("tiny-clip/3");
    // six rollbacks from 2: 1, 2, 1, 2, 1, 2
    assertThat(embedVersion(embed)).isEqualTo("tiny-clip/2");

    // the audit log: who, from, to, why; the override kept with the verdict
    var events = models.listAliasEvents(ListAliasEventsRequest.newBuilder().setAlias("production").setLimit(100).build())
        .getEventsList();
    assertThat(events).hasSize(8);
    assertThat(events.get(0).getKind()).isEqualTo("ROLLBACK");
    assertThat(events.get(0).getReason()).isEqualTo("swap 5");
    assertThat(events.get(events.size() - 1).getKind()).isEqualTo("INITIAL");
    var override = events.get(events.size() - 2);
    assertThat(override.getKind()).isEqualTo("PROMOTE");
    assertThat(override.getOverridden()).isTrue();
    assertThat(override.getActor()).isEqualTo("test-admin");
    assertThat(override.getReason()).contains("same weights, new packaging");
    assertThat(override.getVerdict().getPassed()).isFalse();
    assertThat(override.getFrom()).isEqualTo(ONE);

    // what serves cannot be unloaded or deleted; what does not serve can
    assertThat(message(() -> models.unloadModel(UnloadModelRequest.newBuilder().setModel(TWO).build())))
        .startsWith("FAILED_PRECONDITION").contains("production");
    assertThat(message(() -> models.deleteModel(DeleteModelRequest.newBuilder().setModel(TWO).build())))
        .startsWith("FAILED_PRECONDITION").contains("production");
    models.deleteModel(DeleteModelRequest.newBuilder().setModel(THREE).build());
    assertThat(FineTuneProfile.REPOSITORY.resolve("tiny-clip/3")).doesNotExist();
    assertThat(message(() -> models.getModel(GetModelRequest.newBuilder().setModel(THREE).build()))).startsWith("NOT_FOUND");
    // back to where the other tests expect production to be
    models.rollback(RollbackRequest.newBuilder().setAlias("production").build());
    assertThat(embedVersion(embed)).isEqualTo("tiny-clip/1");
  }

  @Test
  void bad_requests_are_refused_with_the_reason() {
    assertThat(message(() -> models.getModel(GetModelRequest.getDefaultInstance()))).startsWith("INVALID_ARGUMENT");
    assertThat(message(() -> models.getModel(GetModelRequest.newBuilder().setModel(ModelRef.newBuilder().setName("nope")
        .setVersion("9")).build()))).startsWith("NOT_FOUND");
    assertThat(message(() -> models.promote(promote(ONE).setAlias("Bad Alias").build()))).startsWith("INVALID_ARGUMENT");
    assertThat(message(() -> models.promote(promote(ONE).setAlias("nosuch").build()))).startsWith("NOT_FOUND");
    assertThat(message(() -> models.checkGate(promote(TWO).setDataset("").build()))).startsWith("INVALID_ARGUMENT");
    assertThat(message(() -> models.setGateRules(SetGateRulesRequest.newBuilder().setAlias("production")
        .setRules(GateRules.newBuilder().setMaxLatencyP99Ms(-1)).build()))).startsWith("INVALID_ARGUMENT").contains("latency");
    assertThat(message(() -> models.rollback(RollbackRequest.newBuilder().setAlias("nosuch").build()))).startsWith("NOT_FOUND");
  }

  @jakarta.inject.Inject
  dev.kagami.persistence.ModelRepository repo;

  @jakarta.inject.Inject
  dev.kagami.persistence.ReplicaRepository replicas;

  static String servingHere(String alias) {
    return models.listAliases(ListAliasesRequest.getDefaultInstance()).getAliasesList().stream()
        .filter(a -> a.getAlias().equals(alias)).map(dev.kagami.api.v1.ModelAlias::getServingHere).findFirst().orElse("");
  }

  static void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 20 s for " + what).isLessThan(end);
      Thread.sleep(50);
    }
  }

  static dev.kagami.registry.AliasEvent moveByOtherReplica(String alias, String from, String to, long generation) {
    return new dev.kagami.registry.AliasEvent(0, alias, from == null ? dev.kagami.registry.AliasEvent.Kind.INITIAL
        : dev.kagami.registry.AliasEvent.Kind.PROMOTE, java.util.Optional.ofNullable(from).map(dev.kagami.model.ModelId::parse),
        dev.kagami.model.ModelId.parse(to), generation, "replica-b", "promoted on another replica", java.util.Optional.empty(),
        false, java.time.Instant.now());
  }

  @Test
  void an_alias_moved_by_another_replica_is_followed_and_a_lagging_replica_is_reported() throws Exception {
    models.importModel(ImportModelRequest.newBuilder().setPath(copyAs("4").toString()).build());
    // another replica creates "candidate" and later moves it, writing only the shared database
    repo.move(moveByOtherReplica("candidate", null, "tiny-clip/4", 1));
    await("candidate to be served here", () -> servingHere("candidate").equals("tiny-clip/4"));
    repo.move(moveByOtherReplica("candidate", "tiny-clip/4", "tiny-clip/1", 2));
    await("candidate to follow the move", () -> servingHere("candidate").equals("tiny-clip/1"));
    var info = dev.kagami.testing.Http.get("/api/v1/info").body();
    assertThat(info).contains("\"candidate\":\"tiny-clip/1@2\"");

    // a replica that heartbeats but never follows: the move answers after the timeout, naming it
    AtomicBoolean stop = new AtomicBoolean();
    Thread lagging = new Thread(() -> {
      while (!stop.get()) {
        replicas.heartbeat(new dev.kagami.registry.Replica("stuck-replica", "elsewhere", java.time.Instant.now(),
            java.time.Instant.now(), Map.of("candidate", 2L), Map.of("candidate", "tiny-clip/1")));
        sleepQuietly(100);
      }
    });
    lagging.start();
    try {
      Thread.sleep(300);
      long t0 = System.nanoTime();
      PromoteResponse back = models.rollback(RollbackRequest.newBuilder().setAlias("candidate").setActor("test-admin").build());
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(1900);
      assertThat(back.getAlias().getGeneration()).isEqualTo(3);
      assertThat(back.getAlias().getModel().getVersion()).isEqualTo("4");
      assertThat(back.getReplicasLaggingList()).containsExactly("stuck-replica");
      assertThat(back.getReplicasSwitchedList()).hasSize(1).allSatisfy(id -> assertThat(id).isNotEqualTo("stuck-replica"));
    } finally {
      stop.set(true);
      lagging.join(5_000);
    }
    replicas.remove("stuck-replica");
    assertThat(servingHere("candidate")).isEqualTo("tiny-clip/4");
  }

  @Test
  void loaded_versions_are_bounded_and_the_least_recently_used_unaliased_one_goes() throws Exception {
    List<String> loaded = List.of();
    for (String v : List.of("5", "6", "7", "8")) {
      models.importModel(ImportModelRequest.newBuilder().setPath(copyAs(v).toString()).build());
      loaded = models.loadModel(dev.kagami.api.v1.LoadModelRequest.newBuilder()
          .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion(v)).build()).getLoadedList();
      assertThat(loaded).contains("tiny-clip/" + v);
    }
    // production and four more were loaded: kagami.model.max-loaded (4) unloaded the least recently used
    assertThat(loaded).hasSizeLessThanOrEqualTo(4).contains(servingHere("production"), "tiny-clip/8");
    assertThat(loaded).as("5 was loaded first and never used since").doesNotContain("tiny-clip/5");
    for (String v : List.of("5", "6", "7", "8")) {
      models.deleteModel(DeleteModelRequest.newBuilder().setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion(v))
          .build());
    }
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String message(Runnable call) {
    try {
      call.run();
      return "OK";
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      return s.getCode() + ": " + s.getDescription();
    }
  }
}
