package dev.kagami.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server image Jib wrote (target/kagami-server-cpu.tar): its config and layers, then the server started
 * from the unpacked layers with the image's own entrypoint and environment, under image/run-unpacked.sh
 * (namespaces, read-only root, /data writable, uid 10001), called over gRPC and HTTP and stopped by SIGTERM.
 */
class ContainerImageIT {
  static final Path TARBALL = Path.of(System.getProperty("kagami.image.tar", "target/kagami-server-cpu.tar"));
  static final Pattern ADMIN_KEY = Pattern.compile("kgm_[A-Za-z0-9_-]{43}");

  static Path work;
  static ImageTarball image;
  static JsonNode config;

  static Properties built;

  @BeforeAll
  static void extract() throws Exception {
    work = Files.createTempDirectory(Path.of("target"), "image-it-").toAbsolutePath();
    built = new Properties();
    try (var in = ContainerImageIT.class.getResourceAsStream("/kagami-image.properties")) {
      built.load(in);
    }
    assertThat(TARBALL).as("the image tarball (jib:buildTar in package)").isRegularFile();
    image = ImageTarball.extract(TARBALL, work.resolve("tarball"));
    config = image.config().path("config");
    System.out.printf("image %s: %d layers, %d MiB%n", image.repoTags(), image.layers().size(),
        Files.size(TARBALL) >> 20);
  }

  @AfterAll
  static void removeWork() throws Exception {
    if (work != null) {
      ImageTarball.run(List.of("rm", "-rf", work.toString()));
    }
  }

  @Test
  void configNamesTheEntrypointUserPortsVolumeAndLabels() {
    String tag = built.getProperty("image.tag");
    assertThat(image.repoTags()).containsExactly(built.getProperty("image.name") + ":" + tag + "-cpu");
    assertThat(texts(config.path("Entrypoint"))).containsExactly("/opt/kagami/bin/kagami-server");
    assertThat(config.path("Cmd").isMissingNode() || config.path("Cmd").isNull() || config.path("Cmd").isEmpty())
        .as("no Cmd: arguments are JVM options").isTrue();
    assertThat(config.path("User").asText()).isEqualTo("10001:10001");
    assertThat(config.path("WorkingDir").asText()).isEqualTo("/opt/kagami");
    assertThat(names(config.path("ExposedPorts"))).containsExactlyInAnyOrder("9000/tcp", "8080/tcp");
    assertThat(names(config.path("Volumes"))).containsExactly("/data");
    Map<String, String> env = env();
    assertThat(env).containsEntry("KAGAMI_DATA_DIR", "/data")
        .containsEntry("KAGAMI_MODEL_REPOSITORY", "/opt/kagami/models")
        .containsEntry("KAGAMI_MODEL_ENGINE", "onnxruntime")
        .containsEntry("QUARKUS_HTTP_HOST", "0.0.0.0")
        .containsEntry("QUARKUS_GRPC_SERVER_HOST", "0.0.0.0")
        .containsKey("JAVA_HOME");
    JsonNode labels = config.path("Labels");
    assertThat(labels.path("org.opencontainers.image.title").asText()).isEqualTo("kagami-server");
    assertThat(labels.path("org.opencontainers.image.version").asText()).isEqualTo(tag);
    assertThat(labels.path("dev.kagami.engine").asText()).isEqualTo("onnxruntime");
    assertThat(labels.path("dev.kagami.default-model").asText()).isEqualTo("kagami-clip/2");
    assertThat(labels.path("dev.kagami.jre").asText()).as("the base's label").startsWith("openjdk-17-jre-headless");
    assertThat(image.config().path("os").asText()).isEqualTo("linux");
    assertThat(image.config().path("architecture").asText()).isEqualTo("amd64");
  }

  @Test
  void layersMatchTheirDigestsAndHoldTheirParts() throws Exception {
    List<ImageTarball.Layer> layers = image.layers();
    assertThat(layers).hasSizeGreaterThanOrEqualTo(4);
    for (ImageTarball.Layer l : layers) {
      assertThat(ImageTarball.uncompressedDigest(l.file())).as("diff_id of " + l.comment()).isEqualTo(l.diffId());
    }
    Map<String, List<String>> byLayer = new TreeMap<>();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      List<String> entries = ImageTarball.list(layers.get(i).file());
      byLayer.put(i + " " + layers.get(i).comment(), entries);
      all.addAll(entries);
      System.out.printf("layer %d (%s): %d entries, %d KiB%n", i, layers.get(i).comment(), entries.size(),
          Files.size(layers.get(i).file()) >> 10);
    }
    // The base first (the JRE and the user), then what changes more and more often.
    assertThat(layerOf(byLayer, "usr/lib/jvm/java-17-openjdk-amd64/bin/java")).startsWith("0 ");
    String deps = layerOf(byLayer, "opt/kagami/app/lib/boot/");
    String model = layerOf(byLayer, "opt/kagami/models/kagami-clip/2/visual.onnx");
    assertThat(layerOf(byLayer, "opt/kagami/models/kagami-clip/1/visual.onnx")).as("the previous default too").isEqualTo(model);
    String app = layerOf(byLayer, "opt/kagami/app/quarkus-run.jar");
    assertThat(layerOf(byLayer, "opt/kagami/models/kagami-clip/2/kagami-model.json")).isEqualTo(model);
    assertThat(layerOf(byLayer, "opt/kagami/app/quarkus/generated-bytecode.jar")).isEqualTo(app);
    assertThat(index(deps)).isLessThan(index(model));
    assertThat(index(model)).isLessThan(index(app));
    assertThat(byLayer.get(app)).as("Kagami's own jars are in the application layer")
        .anyMatch(e -> e.contains("opt/kagami/app/lib/main/dev.kagami.kagami-proto"));
    assertThat(byLayer.get(deps)).noneMatch(e -> e.contains("dev.kagami."));
    assertThat(all).as("Jib's classpath layout is filtered out").noneMatch(e -> pathOf(e).startsWith("app/"));
    assertThat(all).as("no whiteouts").noneMatch(e -> pathOf(e).contains(".wh."));
    assertThat(all).as("the test fixture model stays out").noneMatch(e -> pathOf(e).contains("tiny-clip"));
    assertThat(all).filteredOn(e -> pathOf(e).equals("opt/kagami/bin/kagami-server"))
        .singleElement().satisfies(e -> assertThat(e).startsWith("-rwxr-xr-x"));
    assertThat(all).filteredOn(e -> pathOf(e).equals("data/")).singleElement()
        .satisfies(e -> assertThat(e).contains(" 10001/10001 "));
  }

  @Test
  void serverStartsFromTheUnpackedLayersWithTheImagesCommand() throws Exception {
    assertThat(ProcessHandle.current().info().user()).as("unpacking and chroot need root").hasValue("root");
    Path rootfs = work.resolve("rootfs");
    image.unpack(rootfs);
    Path data = Files.createDirectories(work.resolve("data"));
    ImageTarball.run(List.of("chown", "10001:10001", data.toString()));
    int grpcPort = ServerProcesses.freePort();
    int httpPort = ServerProcesses.freePort();
    List<String> command = new ArrayList<>(List.of(script().toString(), rootfs.toString(), data.toString(),
        config.path("User").asText(), "/usr/bin/env", "-i"));
    env().forEach((k, v) -> command.add(k + "=" + v));
    command.add("QUARKUS_GRPC_SERVER_PORT=" + grpcPort);
    command.add("QUARKUS_HTTP_PORT=" + httpPort);
    command.addAll(texts(config.path("Entrypoint")));
    Path log = work.resolve("server.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      String key = awaitAdminKey(p, log);
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> info = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + httpPort + "/api/v1/info")).header("Authorization", "Bearer " + key).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(info.statusCode()).as(info.body()).isEqualTo(200);
      assertThat(info.body()).contains("kagami-clip");
      embedOverGrpc(grpcPort, key);
      assertThat(Files.list(data).map(f -> f.getFileName().toString()))
          .as("the server wrote its state under /data").contains("tmp", "kagami.mv.db");
      assertThat(Files.getAttribute(data.resolve("kagami.mv.db"), "unix:uid")).as("written as uid 10001").isEqualTo(10001);

      // SIGTERM to the server (the namespace's first process, as in a pod), then a clean exit
      ProcessHandle server = p.toHandle().children().findFirst().orElseThrow();
      long t0 = System.nanoTime();
      server.destroy();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
      System.out.printf("server in the image: exited %d ms after SIGTERM (status %d)%n",
          (System.nanoTime() - t0) / 1_000_000, p.exitValue());
      String text = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(text).contains("stopped in");
      assertThat(text).doesNotContain("Read-only file system").doesNotContain(" ERROR ");
    } finally {
      ServerProcesses.killAll(p);
    }
  }

  private static void embedOverGrpc(int port, String key) throws InterruptedException {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      // the probe the Deployment uses: gRPC health, without a key
      HealthCheckResponse health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      var stub = EmbeddingServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
      EmbedRequest req = EmbedRequest.newBuilder()
          .addInputs(EmbedInput.newBuilder().setText("a red sneaker")).build();
      assertThatThrownBy(() -> stub.embed(req)).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
      Metadata auth = new Metadata();
      auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
      EmbedResponse r = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth)).embed(req);
      assertThat(r.getModel().getName()).isEqualTo("kagami-clip");
      assertThat(r.getDimension()).isEqualTo(128);
      double norm = 0;
      for (float v : r.getEmbeddings(0).getValuesList()) {
        norm += v * v;
      }
      assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
    } finally {
      ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static String awaitAdminKey(Process p, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      Matcher m = ADMIN_KEY.matcher(text);
      if (m.find() && text.contains("Listening on")) {
        System.out.println("server in the image: " + text.lines().filter(l -> l.contains("started in"))
            .findFirst().orElse("(no start line)"));
        return m.group();
      }
      if (!p.isAlive()) {
        throw new AssertionError("the server in the image exited (" + p.exitValue() + "):\n" + text);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no generated admin key and listening line in 120 s:\n" + Files.readString(log));
  }

  private Map<String, String> env() {
    Map<String, String> env = new TreeMap<>();
    config.path("Env").forEach(e -> {
      String s = e.asText();
      int eq = s.indexOf('=');
      env.put(s.substring(0, eq), s.substring(eq + 1));
    });
    return env;
  }

  private static Path script() {
    Path s = Path.of("run-unpacked.sh").toAbsolutePath();
    assertThat(s).isExecutable();
    return s;
  }

  private static String layerOf(Map<String, List<String>> byLayer, String path) {
    return byLayer.entrySet().stream()
        .filter(e -> e.getValue().stream().anyMatch(x -> pathOf(x).startsWith(path)))
        .map(Map.Entry::getKey).findFirst().orElseThrow(() -> new AssertionError("no layer holds " + path));
  }

  private static int index(String layerKey) {
    return Integer.parseInt(layerKey.substring(0, layerKey.indexOf(' ')));
  }

  /** The path of a {@code tar -tv} line, without a leading {@code ./} or {@code /}. */
  private static String pathOf(String line) {
    String[] f = line.trim().split("\\s+", 6);
    String p = f.length == 6 ? f[5] : line;
    int arrow = p.indexOf(" -> ");
    p = arrow >= 0 ? p.substring(0, arrow) : p;
    return p.startsWith("./") ? p.substring(2) : p.startsWith("/") ? p.substring(1) : p;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
