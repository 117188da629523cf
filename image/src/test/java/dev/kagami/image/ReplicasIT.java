package dev.kagami.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.DatasetSourceKind;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.ImportDatasetRequest;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.ModelServiceGrpc;
import dev.kagami.api.v1.PromoteRequest;
import dev.kagami.api.v1.PromoteResponse;
import dev.kagami.api.v1.RollbackRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Two server processes on one PostgreSQL database and one model repository, started with the README's run
 * command: a Promote on one moves {@code production} on both (the other follows by polling the aliases and
 * reports it switched), a Rollback on the other moves both back, and a client calling Embed on the
 * follower throughout sees no failed call, only the version changing. The poll interval is an hour, so
 * the follower can only have followed through PostgreSQL's notifications (LISTEN/NOTIFY, within the
 * Promote's wait), not by polling. Each run uses a schema of its own and drops it at the end.
 * Needs KAGAMI_TEST_POSTGRES_URL (.ci/run starts PostgreSQL and sets it; with CI=true a missing URL fails).
 */
class ReplicasIT {

  record Server(Process process, ManagedChannel channel, Path log) {}

  @Test
  void twoServersOnOnePostgresqlFollowAPromotionAndARollback() throws Exception {
    String url = ServerProcesses.postgresUrl();
    Path repo = Path.of("").toAbsolutePath().getParent();
    Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "replicas-");
    Path models = work.resolve("models");
    copyTree(repo.resolve("models/kagami-clip/2"), models.resolve("kagami-clip/2"));
    copyTree(repo.resolve("models/kagami-clip/2"), models.resolve("kagami-clip/2-b"));
    Path manifest = models.resolve("kagami-clip/2-b/kagami-model.json");
    Files.writeString(manifest, Files.readString(manifest).replaceFirst("\"version\"\\s*:\\s*\"2\"", "\"version\" : \"2-b\""));
    String schema = "replicas_" + Long.toString(System.nanoTime(), 36);
    String jdbc = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;

    List<Server> servers = new ArrayList<>();
    try {
      servers.add(start(repo, work, "a", models, jdbc, schema));
      servers.add(start(repo, work, "b", models, jdbc, schema)); // after the first has migrated the schema
      Server a = servers.get(0);
      Server b = servers.get(1);
      assertThat(served(a)).isEqualTo("kagami-clip/2");
      assertThat(served(b)).isEqualTo("kagami-clip/2");
      importDataset(a.channel(), null, work.resolve("colours"));

      Map<String, Integer> seen = new ConcurrentHashMap<>();
      Map<String, Integer> failed = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      Thread client = new Thread(() -> {
        while (!stop.get()) {
          try {
            seen.merge(served(b), 1, Integer::sum);
          } catch (StatusRuntimeException e) {
            failed.merge(e.getStatus().getCode().name(), 1, Integer::sum);
          }
        }
      });
      client.start();
      PromoteResponse promoted = ModelServiceGrpc.newBlockingStub(a.channel()).withDeadlineAfter(300, TimeUnit.SECONDS)
          .promote(PromoteRequest.newBuilder().setModel(ModelRef.newBuilder().setName("kagami-clip").setVersion("2-b"))
              .setDataset("colours").setReason("replicas test").setOverrideReason("replicas test").build());
      assertThat(promoted.getReplicasLaggingList()).isEmpty();
      assertThat(promoted.getReplicasSwitchedList()).hasSize(2); // this server and the other
      assertThat(served(a)).isEqualTo("kagami-clip/2-b");
      assertThat(served(b)).as("the follower switched before Promote answered").isEqualTo("kagami-clip/2-b");

      PromoteResponse back = ModelServiceGrpc.newBlockingStub(b.channel()).withDeadlineAfter(120, TimeUnit.SECONDS)
          .rollback(RollbackRequest.newBuilder().setReason("replicas test: back").build());
      assertThat(back.getReplicasLaggingList()).isEmpty();
      assertThat(back.getReplicasSwitchedList()).hasSize(2);
      assertThat(served(a)).isEqualTo("kagami-clip/2");
      assertThat(served(b)).isEqualTo("kagami-clip/2");
      stop.set(true);
      client.join(30_000);
      System.out.println("ReplicasIT: follower Embed calls by version " + new TreeMap<>(seen) + ", failed " + failed);
      assertThat(failed).as("no Embed call on the follower failed during the moves").isEmpty();
      assertThat(seen).containsKeys("kagami-clip/2", "kagami-clip/2-b");
      for (Server s : servers) {
        s.process().toHandle().destroy(); // SIGTERM
        assertThat(s.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(s.log(), StandardCharsets.UTF_8)).doesNotContain(" ERROR ");
      }
    } finally {
      for (Server s : servers) {
        s.channel().shutdownNow();
        ServerProcesses.killAll(s.process());
      }
      try (var c = java.sql.DriverManager.getConnection(url); var st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); // the test database keeps nothing of this run
      }
    }
  }

  private static Server start(Path repo, Path work, String name, Path models, String jdbc, String schema) throws Exception {
    int grpcPort = ServerProcesses.freePort();
    int httpPort = ServerProcesses.freePort();
    Path log = work.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(repo.resolve("bin/kagami-server").toString(), "-Dquarkus.profile=postgresql",
        "-D%postgresql.quarkus.datasource.\"postgresql\".jdbc.url=" + jdbc,
        "-Dquarkus.flyway.\"postgresql\".schemas=" + schema,
        "-Dquarkus.grpc.server.port=" + grpcPort, "-Dquarkus.http.port=" + httpPort,
        "-Dkagami.data-dir=" + work.resolve(name), "-Dkagami.model.repository=" + models,
        "-Dkagami.dataset.import-roots=" + work, "-Dkagami.registry.poll-interval=1h")
        .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("KAGAMI_TMPDIR", work.resolve(name + "-tmp").toString());
    Process p = pb.start();
    return new Server(p, ServerProcesses.awaitServing(p, grpcPort, log, "server " + name, 120), log);
  }

  private static String served(Server s) {
    var r = EmbeddingServiceGrpc.newBlockingStub(s.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
        .embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("a red sneaker")).build());
    return r.getModel().getName() + "/" + r.getModel().getVersion();
  }

  /**
   * Three colours, eight captioned images each, as a manifest in {@code dir} (under the import roots), imported
   * as dataset "colours" through {@code ch} (with {@code key}, or none where auth is off).
   */
  static void importDataset(ManagedChannel ch, io.grpc.CallCredentials key, Path dir) throws Exception {
    Files.createDirectories(dir);
    String[] names = {"red", "green", "blue"};
    Color[] colours = {Color.RED, Color.GREEN, Color.BLUE};
    List<String> lines = new ArrayList<>();
    for (int c = 0; c < names.length; c++) {
      for (int i = 0; i < 8; i++) {
        BufferedImage img = new BufferedImage(32 + i, 32, BufferedImage.TYPE_INT_RGB);
        var g = img.createGraphics();
        g.setColor(colours[c]);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.WHITE);
        g.fillRect(i, i, 6, 6);
        g.dispose();
        Path f = dir.resolve(names[c] + "-" + i + ".png");
        ImageIO.write(img, "png", f.toFile());
        lines.add("{\"image\": \"" + f.getFileName() + "\", \"label\": \"" + names[c] + "\", \"captions\": [\"a " + names[c]
            + " square\"]}");
      }
    }
    Files.write(dir.resolve("colours.jsonl"), lines);
    var stub = DatasetServiceGrpc.newBlockingStub(ch);
    var it = (key == null ? stub : stub.withCallCredentials(key)).withDeadlineAfter(120, TimeUnit.SECONDS).importDataset(
        ImportDatasetRequest.newBuilder().setName("colours").setKind(DatasetSourceKind.MANIFEST)
            .setPath(dir.resolve("colours.jsonl").toString()).setTrainFraction(0.5).setValidationFraction(0.25)
            .setTestFraction(0.25).setSeed(4).build());
    while (it.hasNext()) {
      it.next();
    }
  }

  static void copyTree(Path from, Path to) throws Exception {
    try (var s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path d = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(d);
        } else {
          Files.copy(p, d);
        }
      }
    }
  }
}
