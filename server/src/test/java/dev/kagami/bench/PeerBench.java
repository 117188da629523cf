package dev.kagami.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kagami beside the peer a developer would pick instead, in one run: Hugging Face transformers.js
 * ({@code bench/transformersjs/embed.mjs}: onnxruntime-node and sharp) on the same package's towers from
 * local files ({@link PeerPackage} writes its layout), then Kagami's gRPC Embed against the server jar on
 * the same images (the golden fixture images, encoded as they are) and texts. The two never run at the same
 * time. Prints, for each: images/s and texts/s at 1 and 16 concurrent one-input callers and one caller
 * sending batches, the latencies, and the cosine between the two embeddings of every input (which also
 * compares the two preprocessings). Asserts nothing.
 *
 * <pre>bin/kagami-bench-peer [--package DIR] [--seconds N] [--clients 1,16] [--batch 32] [--out docs/bench-peer.md]</pre>
 */
public final class PeerBench {

  static final List<String> TEXTS = List.of("a red running shoe", "a photo of a black leather handbag",
      "blue denim jacket", "a white ceramic coffee mug on a table", "wireless headphones", "a wooden chair",
      "stainless steel kitchen knife", "a pair of sunglasses", "a yellow raincoat", "a green glass bottle",
      "children's toy car", "a striped wool scarf", "an office desk lamp", "a silver wrist watch",
      "a laptop computer on a desk", "a bouquet of flowers");

  record Run(String kind, int clients, int batch, double perSecond, double p50, double p99, long refused) {}

  public static void main(String[] argv) throws Exception {
    Path root = Path.of("").toAbsolutePath();
    Path repo = Files.exists(root.resolve("models")) ? root : root.getParent();
    Path pkgDir = repo.resolve("models/kagami-clip/2");
    int seconds = 5;
    int[] clients = {1, 16};
    int batch = 32;
    Path out = null;
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--package" -> pkgDir = Path.of(argv[++i]).toAbsolutePath();
        case "--seconds" -> seconds = Integer.parseInt(argv[++i]);
        case "--clients" -> clients = Arrays.stream(argv[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--batch" -> batch = Integer.parseInt(argv[++i]);
        case "--out" -> out = Path.of(argv[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    ModelPackage pkg = new ModelPackageReader().read(pkgDir);
    Path work = Files.createDirectories(repo.resolve("server/target/peer-bench"));
    Path peerModel = PeerPackage.write(pkg, work.resolve("models").resolve(pkg.id().replace('/', '-')));
    List<Path> images;
    try (var s = Files.list(repo.resolve("server/src/test/resources/fixtures/golden/images"))) {
      images = s.sorted().toList();
    }
    Path textFile = work.resolve("texts.txt");
    Files.write(textFile, TEXTS, StandardCharsets.UTF_8);

    StringBuilder report = new StringBuilder();
    java.util.function.Consumer<String> say = line -> {
      System.out.println(line);
      report.append(line).append('\n');
    };
    say.accept(String.format(Locale.ROOT, "Kagami vs transformers.js: package %s (%s), %d s per figure, %d cores (%s), Java %s",
        repo.relativize(pkgDir), pkg.id(), seconds, Runtime.getRuntime().availableProcessors(), EmbedBench.cpuModel(),
        Runtime.version()));

    // 1. the peer alone
    List<String> cmd = new ArrayList<>(List.of("node", repo.resolve("bench/transformersjs/embed.mjs").toString(),
        "--model", peerModel.toString(), "--context", Integer.toString(pkg.manifest().text().contextLength()),
        "--images", String.join(",", images.stream().map(Path::toString).toList()), "--texts", textFile.toString(),
        "--seconds", Integer.toString(seconds), "--clients", String.join(",", Arrays.stream(clients).mapToObj(Integer::toString).toList()),
        "--batch", Integer.toString(batch)));
    Process node = new ProcessBuilder(cmd).redirectError(work.resolve("peer.log").toFile()).start();
    String stdout = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (node.waitFor() != 0) {
      throw new IllegalStateException("the peer failed (exit " + node.exitValue() + "):\n" + Files.readString(work.resolve("peer.log")));
    }
    JsonNode peer = new ObjectMapper().readTree(stdout);
    List<Run> peerRuns = new ArrayList<>();
    peer.path("runs").forEach(r -> peerRuns.add(new Run(r.path("kind").asText(), r.path("clients").asInt(), r.path("batch").asInt(),
        r.path("perSecond").asDouble(), r.path("p50").asDouble(), r.path("p99").asDouble(), 0)));

    // 2. Kagami alone, through gRPC, on the images the peer could decode
    java.util.Set<String> skipped = new java.util.LinkedHashSet<>();
    peer.path("skipped").forEach(k -> skipped.add(Path.of(k.path("file").asText()).getFileName() + " (" + k.path("reason").asText() + ")"));
    List<Path> peerSkipped = new ArrayList<>();
    peer.path("skipped").forEach(k -> peerSkipped.add(Path.of(k.path("file").asText())));
    List<Path> all = images;
    images = all.stream().filter(p -> !peerSkipped.contains(p)).toList();
    List<byte[]> bytes = new ArrayList<>();
    for (Path p : images) {
      bytes.add(Files.readAllBytes(p));
    }
    List<Run> ours = new ArrayList<>();
    List<float[]> ourImages = new ArrayList<>();
    List<float[]> ourTexts = new ArrayList<>();
    String server;
    List<String> opts = List.of("-Dkagami.model.repository=" + pkgDir.getParent().getParent(),
        "-Dkagami.model.name=" + pkg.manifest().name(), "-Dkagami.model.version=" + pkg.manifest().version());
    try (BenchServer s = BenchServer.start(repo, Files.createTempDirectory(work, "server-"), opts)) {
      server = "server jar on 127.0.0.1:" + s.port;
      var stub = EmbeddingServiceGrpc.newBlockingStub(s.channel);
      for (byte[] b : bytes) {
        ourImages.add(values(stub.embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setImage(ByteString.copyFrom(b))).build())));
      }
      for (String t : TEXTS) {
        ourTexts.add(values(stub.embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText(t)).build())));
      }
      for (String kind : List.of("images", "texts")) {
        for (int c : clients) {
          ours.add(load(s.channel, kind, c, 1, bytes, seconds));
        }
        ours.add(load(s.channel, kind, 1, batch, bytes, seconds));
      }
    }

    say.accept("peer: " + peer.path("peer").asText() + " on Node " + peer.path("node").asText() + " (onnxruntime-node, sharp; "
        + "its default threads), loaded in " + Math.round(peer.path("loadMs").asDouble()) + " ms; Kagami: gRPC Embed, " + server);
    say.accept("inputs: " + images.size() + " of the " + all.size() + " images in server/src/test/resources/fixtures/golden/images "
        + "(JPEG, PNG, GIF, WebP; 100x60 to 3000x2000) and " + TEXTS.size() + " texts, cycled; closed loop, each caller waits for "
        + "its answer");
    if (!skipped.isEmpty()) {
      say.accept("left out (the peer cannot decode them; Kagami can): " + String.join(", ", skipped));
    }
    say.accept("");
    say.accept("  (a call Kagami refused (RESOURCE_EXHAUSTED) backs off 5-200 ms and is retried, its latency counted from its");
    say.accept("  first attempt; 'shed' counts the refusals)");
    say.accept("  input  | callers | per call |  Kagami/s | p50 ms | p99 ms | shed |   peer/s | p50 ms | p99 ms | Kagami/peer");
    for (int i = 0; i < ours.size(); i++) {
      Run k = ours.get(i);
      Run p = peerRuns.get(i);
      say.accept(String.format(Locale.ROOT, "  %-6s | %7d | %8d | %9.1f | %6.1f | %6.1f | %4d | %8.1f | %6.1f | %6.1f | %6.2fx",
          k.kind(), k.clients(), k.batch(), k.perSecond(), k.p50(), k.p99(), k.refused(), p.perSecond(), p.p50(), p.p99(),
          k.perSecond() / p.perSecond()));
    }
    say.accept("");
    double[] img = cosines(ourImages, peer.path("imageEmbeddings"));
    double[] txt = cosines(ourTexts, peer.path("textEmbeddings"));
    say.accept(String.format(Locale.ROOT, "cosine Kagami vs peer, per input: images min %.5f mean %.5f (%s); texts min %.5f mean %.5f",
        img[0], img[1], worstImage(img, images), txt[0], txt[1]));
    StringBuilder each = new StringBuilder("  per image:");
    for (int i = 0; i < images.size(); i++) {
      each.append(String.format(Locale.ROOT, " %s %.4f%s", images.get(i).getFileName(), img[2 + i], i + 1 < images.size() ? "," : ""));
    }
    say.accept(each.toString());
    double bestImages = ratio(ours, peerRuns, "images");
    double bestTexts = ratio(ours, peerRuns, "texts");
    say.accept(String.format(Locale.ROOT, "best Kagami/s over best peer/s: images %.2fx, texts %.2fx (goal >= 1.5x); embeddings "
        + "agree (goal cosine >= 0.99): %s", bestImages, bestTexts, img[0] >= 0.99 && txt[0] >= 0.99 ? "yes" : "no"));
    if (out != null) {
      Files.createDirectories(out.getParent());
      Files.writeString(out, "# Kagami beside transformers.js\n\nWritten by `bin/kagami-bench-peer " + String.join(" ", argv)
          + "` on " + java.time.LocalDate.now() + ". Nothing below is typed by hand.\n\n```\n" + report + "```\n");
      System.out.println("wrote " + out);
    }
  }

  static double ratio(List<Run> ours, List<Run> peer, String kind) {
    double a = ours.stream().filter(r -> r.kind().equals(kind)).mapToDouble(Run::perSecond).max().orElse(0);
    double b = peer.stream().filter(r -> r.kind().equals(kind)).mapToDouble(Run::perSecond).max().orElse(Double.NaN);
    return a / b;
  }

  static float[] values(EmbedResponse r) {
    List<Float> v = r.getEmbeddings(0).getValuesList();
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i);
    }
    return out;
  }

  /** {min, mean} cosine, then each input's cosine from index 2 on. */
  static double[] cosines(List<float[]> ours, JsonNode theirs) {
    double[] out = new double[2 + ours.size()];
    double min = 1;
    double sum = 0;
    for (int i = 0; i < ours.size(); i++) {
      float[] a = ours.get(i);
      JsonNode b = theirs.get(i);
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (int k = 0; k < a.length; k++) {
        double y = b.get(k).asDouble();
        dot += a[k] * y;
        na += a[k] * (double) a[k];
        nb += y * y;
      }
      double c = dot / Math.sqrt(na * nb);
      out[2 + i] = c;
      min = Math.min(min, c);
      sum += c;
    }
    out[0] = min;
    out[1] = sum / ours.size();
    return out;
  }

  static String worstImage(double[] c, List<Path> images) {
    int worst = 0;
    for (int i = 1; i < images.size(); i++) {
      if (c[2 + i] < c[2 + worst]) {
        worst = i;
      }
    }
    return "lowest: " + images.get(worst).getFileName();
  }

  /** Closed loop: {@code clients} callers, each Embed call {@code batch} inputs, for {@code seconds} after a warm-up. */
  static Run load(ManagedChannel ch, String kind, int clients, int batch, List<byte[]> images, int seconds) throws Exception {
    AtomicLong counter = new AtomicLong();
    java.util.function.LongFunction<EmbedRequest> request = k -> {
      EmbedRequest.Builder b = EmbedRequest.newBuilder();
      for (int j = 0; j < batch; j++) {
        int i = (int) ((k + j) % (kind.equals("images") ? images.size() : TEXTS.size()));
        b.addInputs(kind.equals("images") ? EmbedInput.newBuilder().setImage(ByteString.copyFrom(images.get(i)))
            : EmbedInput.newBuilder().setText(TEXTS.get(i)));
      }
      return b.build();
    };
    var stub = EmbeddingServiceGrpc.newBlockingStub(ch);
    long warmEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(2000, seconds * 200L));
    while (System.nanoTime() < warmEnd) {
      stub.withDeadlineAfter(60, TimeUnit.SECONDS).embed(request.apply(0));
    }
    ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
    AtomicLong items = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        fs.add(pool.submit(() -> {
          while (System.nanoTime() < end) {
            long s = System.nanoTime();
            EmbedRequest r = request.apply(counter.getAndIncrement());
            for (int attempt = 0; ; attempt++) {
              try {
                stub.withDeadlineAfter(60, TimeUnit.SECONDS).embed(r);
                break;
              } catch (io.grpc.StatusRuntimeException e) { // shed: back off and retry, latency from the first attempt
                if (e.getStatus().getCode() != io.grpc.Status.Code.RESOURCE_EXHAUSTED) {
                  throw e;
                }
                refused.incrementAndGet();
                Thread.sleep(Math.min(200, 5L << Math.min(attempt, 5)));
              }
            }
            latencies.add((System.nanoTime() - s) / 1e6);
            items.addAndGet(batch);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    double[] l = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new Run(kind, clients, batch, items.get() / elapsed, l[Math.min(l.length - 1, l.length / 2)],
        l[Math.min(l.length - 1, (int) (0.99 * l.length))], refused.get());
  }
}
