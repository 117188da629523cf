package dev.kagami.bench;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The built server jar as a child process on a free loopback port, with all of its data (index, images,
 * database, temporary files) in one folder, so that it can be killed and started again on the same data.
 */
final class BenchServer implements AutoCloseable {

  final Process process;
  final int port;
  final ManagedChannel channel;
  final Path log;

  private BenchServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts the jar of {@code repo} on the data in {@code data} and waits until health says SERVING. */
  static BenchServer start(Path repo, Path data, List<String> opts) throws Exception {
    return start(repo, data, opts, 0);
  }

  /**
   * As {@link #start(Path, Path, List)}, the server at a lower scheduling priority ({@code nice -n
   * niceness}): a load generator on the same cores then sends on time, as clients on their own machines
   * would, instead of waiting for cores the server it measures has taken.
   */
  static BenchServer start(Path repo, Path data, List<String> opts, int niceness) throws Exception {
    Path jar = repo.resolve("server/target/quarkus-app/quarkus-run.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is not built (run ./mvnw -DskipTests install)");
    }
    Files.createDirectories(data.resolve("tmp"));
    int port = freePort();
    List<String> cmd = new ArrayList<>();
    if (niceness > 0) {
      cmd.addAll(List.of("nice", "-n", Integer.toString(niceness)));
    }
    cmd.addAll(List.of("java", "-Dai.djl.offline=true", "-Dai.djl.default_engine=OnnxRuntime",
        "-DOPT_OUT_TRACKING=true", "-Djava.io.tmpdir=" + data.resolve("tmp"), "-Djava.awt.headless=true", "-Xmx2g",
        "-XX:G1HeapRegionSize=8m",
        "-Dquarkus.grpc.server.port=" + port, "-Dquarkus.grpc.server.host=127.0.0.1", "-Dquarkus.http.port=0",
        "-Dkagami.model.repository=" + repo.resolve("models"), "-Dkagami.index.root=" + data.resolve("index"),
        "-Dkagami.index.images=" + data.resolve("images"), "-Dkagami.evaluation.embedding-cache=" + data.resolve("cache"),
        "-Dquarkus.datasource.jdbc.url=jdbc:h2:file:" + data.resolve("db/kagami") + ";DB_CLOSE_ON_EXIT=FALSE"));
    cmd.addAll(opts);
    cmd.addAll(List.of("-jar", jar.toString()));
    Path log = data.resolve("server-" + System.nanoTime() + ".log");
    Process p = new ProcessBuilder(cmd).directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    BenchServer s = new BenchServer(p, port, log);
    try {
      EmbedBench.waitServing(s.channel, p, log);
    } catch (Exception e) {
      s.kill9();
      throw e;
    }
    return s;
  }

  /** Peak resident memory of the server process (VmHWM), in MiB; -1 if unknown. */
  long peakRssMib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** SIGKILL: no shutdown hooks, nothing flushed. */
  void kill9() throws InterruptedException {
    channel.shutdownNow();
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the server drains and stops; returns once it has exited. */
  void sigterm() {
    process.destroy();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
