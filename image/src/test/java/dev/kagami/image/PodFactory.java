package dev.kagami.image;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts a container of the rendered overlay as a process on this machine: the README's run command
 * ({@code bin/kagami-server}) in the environment {@link ScaleOverlay#environment} gives it. Its "pod
 * network": the container's gRPC and HTTP ports on free loopback ports. Its volumes: one folder per claim
 * (shared by every pod, as a ReadWriteMany claim is) and one per pod and emptyDir (kept over a restart of the
 * pod's container, as Kubernetes keeps an emptyDir).
 */
final class PodFactory {

  private final Path repo;
  private final Path work;
  private final ScaleOverlay overlay;
  private final Map<String, String> secrets;
  private final Map<String, String> services;

  PodFactory(Path repo, Path work, ScaleOverlay overlay, Map<String, String> secrets, Map<String, String> services) {
    this.repo = repo;
    this.work = work;
    this.overlay = overlay;
    this.secrets = secrets;
    this.services = services;
  }

  /** The folder standing for a volume ({@code pvc:<claim>} or {@code emptyDir:<name>}) as pod {@code pod} sees it. */
  Path volume(String kind, String pod) {
    Path p = kind.startsWith("pvc:") ? work.resolve("claims").resolve(kind.substring(4))
        : work.resolve("pods").resolve(pod).resolve(kind.substring(kind.indexOf(':') + 1));
    try {
      return Files.createDirectories(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ClusterIT.Pod start(ScaleOverlay.Container c, String pod) throws Exception {
    return launch(c, pod, ServerProcesses.freePort(), ServerProcesses.freePort(), work.resolve(pod + ".log"));
  }

  /** The pod's container started again after it died: same ports, same volumes, a log of its own. */
  ClusterIT.Pod restart(ClusterIT.Pod p) throws Exception {
    p.channel().shutdownNow();
    return launch(p.container(), p.name(), p.grpc().getPort(), p.http(), work.resolve(p.name() + "-restarted.log"));
  }

  private ClusterIT.Pod launch(ScaleOverlay.Container c, String pod, int grpcPort, int httpPort, Path log) throws Exception {
    Map<String, Integer> ports = c.ports();
    if (!ports.containsKey("grpc")) {
      throw new IllegalStateException(pod + ": the container declares no grpc port: " + ports);
    }
    Map<String, String> env = overlay.environment(c, secrets, services, (kind, mountPath) -> volume(kind, pod));
    ProcessBuilder pb = new ProcessBuilder(repo.resolve("bin/kagami-server").toString()).directory(repo.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("KAGAMI_") || k.startsWith("QUARKUS_") || k.equals("JAVA_TOOL_OPTIONS")
        || k.equals("DJL_CACHE_DIR"));
    pb.environment().putAll(env);
    pb.environment().put("QUARKUS_GRPC_SERVER_PORT", Integer.toString(grpcPort));
    pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
    // as the image's entrypoint does: the JVM's temporary folder under the data volume
    pb.environment().put("KAGAMI_TMPDIR", env.get("KAGAMI_DATA_DIR") + "/tmp");
    Process p = pb.start();
    ManagedChannel ch = ServerProcesses.awaitServing(p, grpcPort, log, pod, 180);
    return new ClusterIT.Pod(pod, c, p, ch, new InetSocketAddress("127.0.0.1", grpcPort), httpPort, log);
  }
}
