package dev.kagami.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's run command as a newcomer types it: {@code bin/kagami-server} from the repository, with
 * nothing configured but free ports and a data folder given as a plain relative path (as {@code data}, the
 * default, is). It must start on the embedded default model, answer health and an Embed call (no keys on
 * loopback: auth off), write its database under that folder and stop cleanly on SIGTERM. This caught the
 * default start-up failing on H2's refusal of an implicitly relative database path.
 */
class NewcomerStartIT {

  @Test
  void theReadmeRunCommandStartsOnTheDefaultModel() throws Exception {
    Path repo = Path.of("").toAbsolutePath().getParent();
    Path script = repo.resolve("bin/kagami-server");
    assertThat(script).isExecutable();
    Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "newcomer-");
    String data = repo.relativize(work.resolve("data")).toString(); // relative, without "./"
    int grpcPort = ServerProcesses.freePort();
    int httpPort = ServerProcesses.freePort();
    Path log = work.resolve("server.log");
    ProcessBuilder pb = new ProcessBuilder(script.toString(), "-Dquarkus.grpc.server.port=" + grpcPort,
        "-Dquarkus.http.port=" + httpPort, "-Dkagami.data-dir=" + data)
        .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("KAGAMI_TMPDIR", work.resolve("tmp").toString());
    Process p = pb.start();
    try {
      awaitStarted(p, log);
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
      try {
        HealthCheckResponse health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        EmbedResponse r = EmbeddingServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
            .embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("a red sneaker")).build());
        assertThat(r.getModel().getName()).isEqualTo("kagami-clip");
        assertThat(r.getEmbeddings(0).getValuesCount()).isEqualTo(r.getDimension()).isPositive();
      } finally {
        ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
      assertThat(repo.resolve(data).resolve("kagami.mv.db")).as("the database lies in the data folder").isRegularFile();
      p.toHandle().destroy(); // SIGTERM (the script execs java)
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
      String text = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(text).contains("stopped in").doesNotContain(" ERROR ");
    } finally {
      ServerProcesses.killAll(p);
    }
  }

  private static void awaitStarted(Process p, Path log) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < until) {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      if (text.contains("started in")) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("bin/kagami-server exited with " + p.exitValue() + "; log:\n" + tail(text));
      }
      Thread.sleep(200);
    }
    throw new AssertionError("bin/kagami-server did not start in 120 s; log:\n" + tail(Files.readString(log)));
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
