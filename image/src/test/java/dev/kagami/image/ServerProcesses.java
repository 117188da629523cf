package dev.kagami.image;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

/** What the tests that start a server as a child process share: a free port, and killing it all at the end. */
final class ServerProcesses {
  private ServerProcesses() {}

  /** A loopback port free at the moment of asking. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * The test PostgreSQL's JDBC URL from KAGAMI_TEST_POSTGRES_URL; the test is skipped without it, except
   * with CI=true, where .ci/run must have started PostgreSQL.
   */
  static String postgresUrl() {
    String url = System.getenv("KAGAMI_TEST_POSTGRES_URL");
    if (url == null && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("CI=true but KAGAMI_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(url != null,
        "KAGAMI_TEST_POSTGRES_URL not set (run .ci/postgres.sh and export what it prints)");
    return url;
  }

  /**
   * A plaintext channel to the server {@code p} started on {@code grpcPort}, once its health says SERVING;
   * if it exits or is not serving within {@code seconds}, it is killed and the test fails with its log.
   */
  static io.grpc.ManagedChannel awaitServing(Process p, int grpcPort, java.nio.file.Path log, String name, int seconds)
      throws Exception {
    io.grpc.ManagedChannel ch = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", grpcPort)
        .usePlaintext().build();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      try {
        if (io.grpc.health.v1.HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus()
            == io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING) {
          return ch;
        }
      } catch (io.grpc.StatusRuntimeException e) {
        // not listening yet
      }
      if (!p.isAlive() || System.nanoTime() > until) {
        ch.shutdownNow();
        killAll(p);
        throw new AssertionError(name + " did not start; log:\n" + java.nio.file.Files.readString(log));
      }
      Thread.sleep(200);
    }
  }

  /** Kills {@code p} and everything it started (a script's java, a namespace's server), then waits for it. */
  static void killAll(Process p) throws InterruptedException {
    p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor(30, TimeUnit.SECONDS);
  }
}
