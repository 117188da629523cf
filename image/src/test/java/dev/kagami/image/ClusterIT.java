package dev.kagami.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.FineTuneMethod;
import dev.kagami.api.v1.FineTuneServiceGrpc;
import dev.kagami.api.v1.GetRequest;
import dev.kagami.api.v1.GetRunRequest;
import dev.kagami.api.v1.ModelServiceGrpc;
import dev.kagami.api.v1.PromoteRequest;
import dev.kagami.api.v1.PromoteResponse;
import dev.kagami.api.v1.Run;
import dev.kagami.api.v1.RunConfig;
import dev.kagami.api.v1.RunState;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.StartRunRequest;
import dev.kagami.api.v1.StatsRequest;
import dev.kagami.api.v1.TrainableParameters;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettySolrRunner;
import org.junit.jupiter.api.Test;

/**
 * The {@code scale} overlay on one machine: two serving processes and one trainer, each started with the
 * README's run command in exactly the environment the rendered overlay gives its pod (ConfigMap, env,
 * Secrets; mount paths mapped to folders, one per claim and one per pod's emptyDir; Services mapped to the
 * real addresses), on one PostgreSQL and one SolrCloud (two Solr nodes and ZooKeeper in this JVM). A client
 * balancing per call across both servers writes images throughout; a fine-tune started through a serving
 * replica is trained by the trainer and registered; its promotion switches both servers; one server is
 * killed (SIGKILL) and restarted; every acknowledged write is then read back from both servers. Keys: the
 * first server prints the generated admin key, which makes a writer and a reader key used on both servers.
 * Needs KAGAMI_TEST_POSTGRES_URL (.ci/run sets it; with CI=true a missing URL fails).
 */
class ClusterIT {

  private static final Pattern KEY = Pattern.compile("kgm_[A-Za-z0-9_-]{43}");

  @Test
  void twoServersAndATrainerAsTheScaleOverlayConfiguresThemLoseNoAcknowledgedWrite() throws Exception {
    String url = ServerProcesses.postgresUrl();
    Path repo = Path.of("").toAbsolutePath().getParent();
    Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "cluster-");
    ScaleOverlay overlay = new ScaleOverlay(repo.resolve("k8s/rendered/scale.yaml"));
    String schema = "cluster_" + Long.toString(System.nanoTime(), 36);
    try (var c = java.sql.DriverManager.getConnection(url); var st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema); // the database CloudNativePG would make; the server migrates it
    }
    String jdbc = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    MiniSolrCloudCluster solr = new MiniSolrCloudCluster.Builder(2, Files.createDirectories(work.resolve("solr"))).build();
    List<Pod> pods = new ArrayList<>();
    ManagedChannel balanced = null;
    try {
      String solrUrls = String.join(",", solr.getJettySolrRunners().stream().map(JettySolrRunner::getBaseUrl)
          .map(Object::toString).toList());
      assertThat(overlay.configMap("kagami-config")).containsEntry("KAGAMI_INDEX_SOLR_URLS", "http://kagami-solrcloud-common/solr")
          .containsEntry("KAGAMI_INDEX_STORE", "solr");
      PodFactory factory = new PodFactory(repo, work, overlay, Map.of("kagami-db-app/jdbc-uri", jdbc),
          Map.of("http://kagami-solrcloud-common/solr", solrUrls));
      // the seed-models init container: the image's models (models/kagami-clip) copied onto the shared claim
      Path models = factory.volume("pvc:kagami-models", "server-0");
      ReplicasIT.copyTree(repo.resolve("models/kagami-clip"), models.resolve("kagami-clip"));

      Pod s0 = factory.start(overlay.serving("server"), "server-0");
      pods.add(s0);
      Matcher m = KEY.matcher(Files.readString(s0.log()));
      assertThat(m.find()).as("the first start prints a generated admin key").isTrue();
      String admin = m.group();
      Pod s1 = factory.start(overlay.serving("server"), "server-1");
      pods.add(s1);
      Pod trainer = factory.start(overlay.trainer("trainer"), "trainer-0");
      pods.add(trainer);
      assertThat(Files.readString(s1.log())).doesNotContainPattern(KEY.pattern()); // keys existed: none generated
      CallCredentials writer = BalancedChannel.bearer(createKey(s0, admin, "cluster-writer", "writer"));
      CallCredentials reader = BalancedChannel.bearer(createKey(s0, admin, "cluster-reader", "reader"));
      CallCredentials adminKey = BalancedChannel.bearer(admin);

      balanced = BalancedChannel.to(List.of(s0.grpc(), s1.grpc()));
      var search = SearchServiceGrpc.newBlockingStub(balanced).withCallCredentials(writer);
      search.withDeadlineAfter(120, TimeUnit.SECONDS).createCollection(CreateCollectionRequest.newBuilder().setName("products").build());

      Set<String> acked = ConcurrentHashMap.newKeySet();
      Map<String, Integer> failed = new ConcurrentHashMap<>();
      Map<String, String> firstFailure = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      Thread load = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          String id = "item-" + i;
          try {
            search.withDeadlineAfter(30, TimeUnit.SECONDS).upsert(UpsertRequest.newBuilder().setCollection("products")
                .addItems(UpsertItem.newBuilder().setId(id).setImage(png(i))).build());
            acked.add(id);
          } catch (StatusRuntimeException e) {
            failed.merge(e.getStatus().getCode().name(), 1, Integer::sum);
            firstFailure.putIfAbsent(e.getStatus().getCode().name(), id + ": " + e.getStatus().getDescription());
          }
          sleep(25);
        }
      }, "cluster-writer");
      load.start();

      ReplicasIT.importDataset(balanced, adminKey, factory.volume("pvc:kagami-shared", "server-0").resolve("imports/colours"));
      var runs = FineTuneServiceGrpc.newBlockingStub(balanced).withCallCredentials(adminKey);
      Run started = runs.startRun(StartRunRequest.newBuilder().setConfig(RunConfig.newBuilder().setDataset("colours")
          .setMethod(FineTuneMethod.GPR_FT).setTrainable(TrainableParameters.LAST_BLOCKS).setLastBlocks(1).setEpochs(1)
          .setBatchSize(4).setLearningRate(1e-4).setNewVersion("ft-cluster")).build());
      assertThat(started.getState()).isEqualTo(RunState.QUEUED); // a serving replica only records it
      Run end = awaitEnd(runs, started.getId());
      assertThat(end.getState()).as(end.getError()).isEqualTo(RunState.SUCCEEDED);
      assertThat(end.getResultModel().getVersion()).isEqualTo("ft-cluster");
      assertThat(Files.readString(trainer.log())).contains(started.getId());

      PromoteResponse promoted = ModelServiceGrpc.newBlockingStub(balanced).withCallCredentials(adminKey)
          .withDeadlineAfter(300, TimeUnit.SECONDS).promote(PromoteRequest.newBuilder().setModel(end.getResultModel())
              .setDataset("colours").setReason("cluster test").setOverrideReason("cluster test").build());
      assertThat(promoted.getReplicasLaggingList()).isEmpty();
      assertThat(promoted.getReplicasSwitchedList()).hasSizeGreaterThanOrEqualTo(2); // both servers (the trainer follows too)
      assertThat(served(s0, reader)).isEqualTo("kagami-clip/ft-cluster");
      assertThat(served(s1, reader)).isEqualTo("kagami-clip/ft-cluster");

      int before = acked.size();
      ServerProcesses.killAll(s0.process()); // SIGKILL: no drain, no goodbye
      pods.set(0, s0 = factory.restart(s0));
      assertThat(served(s0, reader)).as("the restarted server serves the promoted version").isEqualTo("kagami-clip/ft-cluster");
      sleep(2_000); // writes go to both again
      stop.set(true);
      load.join(60_000);
      assertThat(acked.size()).as("writes were acknowledged after the kill").isGreaterThan(before);

      List<String> lost = new ArrayList<>();
      for (Pod p : List.of(s0, s1)) {
        var get = SearchServiceGrpc.newBlockingStub(p.channel()).withCallCredentials(reader);
        for (String id : acked) {
          try {
            get.withDeadlineAfter(30, TimeUnit.SECONDS).get(GetRequest.newBuilder().setCollection("products").setId(id).build());
          } catch (StatusRuntimeException e) {
            lost.add(p.name() + ":" + id + ":" + e.getStatus().getCode());
          }
        }
        long count = SearchServiceGrpc.newBlockingStub(p.channel()).withCallCredentials(reader)
            .stats(StatsRequest.newBuilder().setCollection("products").build()).getCount();
        assertThat(count).as(p.name() + "'s count").isGreaterThanOrEqualTo(acked.size());
      }
      System.out.println("ClusterIT: " + acked.size() + " writes acknowledged (" + before + " before the kill), failed "
          + new TreeMap<>(failed) + " " + new TreeMap<>(firstFailure) + ", lost " + lost.size() + "; run " + started.getId() + " trained by the trainer in "
          + end.getStageSecondsMap() + "; switched " + promoted.getReplicasSwitchedList());
      assertThat(lost).as("acknowledged writes missing").isEmpty();
      // only calls that met the killed server failed (every replica serves every collection's model)
      assertThat(failed.keySet()).as(firstFailure.toString()).isSubsetOf("UNAVAILABLE");
      for (Pod p : pods) {
        p.process().toHandle().destroy(); // SIGTERM: the drain
        assertThat(p.process().waitFor(60, TimeUnit.SECONDS)).as(p.name() + " exits on SIGTERM").isTrue();
        assertThat(Files.readString(p.log())).as(p.name() + "'s log").doesNotContain(" ERROR ")
            .doesNotContain("connection has been closed"); // the alias listener ends before the pool closes
      }
    } finally {
      if (balanced != null) {
        balanced.shutdownNow();
      }
      for (Pod p : pods) {
        p.channel().shutdownNow();
        ServerProcesses.killAll(p.process());
      }
      solr.shutdown();
      try (var c = java.sql.DriverManager.getConnection(url); var st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  record Pod(String name, ScaleOverlay.Container container, Process process, ManagedChannel channel, InetSocketAddress grpc,
      int http, Path log) {}

  private static String createKey(Pod p, String admin, String name, String role) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + p.http() + "/api/v1/keys"))
        .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"role\":\"" + role + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new ObjectMapper().readTree(r.body()).path("secret").asText();
  }

  private static String served(Pod p, CallCredentials key) {
    var r = EmbeddingServiceGrpc.newBlockingStub(p.channel()).withCallCredentials(key).withDeadlineAfter(60, TimeUnit.SECONDS)
        .embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("a red sneaker")).build());
    return r.getModel().getName() + "/" + r.getModel().getVersion();
  }

  private static Run awaitEnd(FineTuneServiceGrpc.FineTuneServiceBlockingStub runs, String id) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(900);
    while (true) {
      Run r = runs.withDeadlineAfter(30, TimeUnit.SECONDS).getRun(GetRunRequest.newBuilder().setId(id).build());
      if (r.getState() == RunState.SUCCEEDED || r.getState() == RunState.FAILED || r.getState() == RunState.CANCELLED
          || System.nanoTime() > until) {
        return r;
      }
      sleep(1_000);
    }
  }

  private static com.google.protobuf.ByteString png(int i) {
    var img = new java.awt.image.BufferedImage(24, 24, java.awt.image.BufferedImage.TYPE_INT_RGB);
    var g = img.createGraphics();
    g.setColor(new java.awt.Color((i * 47) % 256, (i * 89) % 256, (i * 131) % 256));
    g.fillRect(0, 0, 24, 24);
    g.dispose();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(img, "png", out);
      return com.google.protobuf.ByteString.copyFrom(out.toByteArray());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
