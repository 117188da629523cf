package dev.kagami.bench;

import com.google.protobuf.ByteString;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.embedding.DynamicBatcher;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Embedding throughput bench: (a) in-process engine calls at batch 1, 8 and 32 on preprocessed inputs;
 * (b) gRPC Embed against the real server (the built jar, started as a child process on a free loopback
 * port) from 1, 4 and 16 concurrent clients, one input per call. Prints a table; asserts nothing.
 *
 * <pre>bin/kagami-bench [--package DIR] [--engine onnxruntime|pytorch] [--seconds N] [--clients 1,4,16]</pre>
 */
public final class EmbedBench {

  record Args(Path pkg, EngineKind engine, int seconds, int[] clients, Path image, Path jar, List<String> serverOpts) {}

  public static void main(String[] argv) throws Exception {
    Path root = Path.of("").toAbsolutePath();
    Path repo = Files.exists(root.resolve("models")) ? root : root.getParent();
    Path pkg = repo.resolve("models/tiny-clip/1");
    EngineKind engine = EngineKind.ONNXRUNTIME;
    int seconds = 5;
    int[] clients = {1, 4, 16};
    Path image = repo.resolve("server/src/test/resources/fixtures/golden/images/landscape_640x480.jpg");
    List<String> serverOpts = new ArrayList<>();
    Path out = null;
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--package" -> pkg = Path.of(argv[++i]).toAbsolutePath();
        case "--engine" -> engine = EngineKind.parse(argv[++i]);
        case "--seconds" -> seconds = Integer.parseInt(argv[++i]);
        case "--clients" -> clients = Arrays.stream(argv[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--image" -> image = Path.of(argv[++i]).toAbsolutePath();
        case "--server-opt" -> serverOpts.add(argv[++i]);
        case "--out" -> out = Path.of(argv[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    Args a = new Args(pkg, engine, seconds, clients, image, repo.resolve("server/target/quarkus-app/quarkus-run.jar"),
        serverOpts);
    java.io.ByteArrayOutputStream copy = new java.io.ByteArrayOutputStream();
    java.io.PrintStream console = System.out;
    if (out != null) {
      System.setOut(new java.io.PrintStream(new TeeStream(console, copy), true, java.nio.charset.StandardCharsets.UTF_8));
    }
    System.out.printf(Locale.ROOT, "Kagami embed bench: package %s, engine %s, %d s per figure, %d cores (%s), Java %s%n",
        repo.relativize(a.pkg()), a.engine(), a.seconds(), Runtime.getRuntime().availableProcessors(), cpuModel(),
        Runtime.version());
    double bestInProcess = inProcess(a);
    grpc(a, bestInProcess);
    if (out != null) {
      System.setOut(console);
      Files.createDirectories(out.getParent());
      Files.writeString(out, "# Embedding bench\n\nWritten by `bin/kagami-bench " + String.join(" ", argv)
          + "` on " + java.time.LocalDate.now() + ". Nothing below is typed by hand.\n\n```\n" + copy.toString(
          java.nio.charset.StandardCharsets.UTF_8) + "```\n");
      console.println("wrote " + out);
    }
  }

  /** Writes to two streams. */
  static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }

  static double inProcess(Args a) {
    ModelLoader loader = new ModelLoader(new EngineFactory(), new ImageDecoder(new ImageLimits(64 << 20, 1L << 28)));
    ModelLoader.Settings s = new ModelLoader.Settings(a.engine(), new EngineOptions(1, 0),
        new DynamicBatcher.Settings(32, 1_000_000, 1024, 1), 4096, false, 0);
    double best = 0;
    long t0 = System.nanoTime();
    try (ModelRuntime rt = loader.load(a.pkg(), s)) {
      // for TensorRT this includes building the engines from the ONNX files
      System.out.printf(Locale.ROOT, "  load (and engine build) on %s: %.1f s%n", a.engine(), (System.nanoTime() - t0) / 1e9);
      if (a.engine() != EngineKind.ONNXRUNTIME) {
        parityAgainstOnnxRuntime(rt, loader, a);
      }
      float[] one = rt.transform().apply(rt.decoder().decode(read(a.image())));
      long[] ids = rt.tokenizer().tokenize("a photo of a red running shoe on a white background");
      System.out.println();
      System.out.println("(a) in-process engine calls (inputs already preprocessed)");
      System.out.println("  batch | images/s | ms/batch (mean) | texts/s | ms/batch (mean)");
      for (int batch : new int[] {1, 8, 32}) {
        float[] px = new float[batch * one.length];
        long[] tok = new long[batch * ids.length];
        for (int i = 0; i < batch; i++) {
          System.arraycopy(one, 0, px, i * one.length, one.length);
          System.arraycopy(ids, 0, tok, i * ids.length, ids.length);
        }
        double[] img = measure(a.seconds(), () -> rt.engine().encodeImages(px, batch), batch);
        double[] txt = measure(a.seconds(), () -> rt.engine().encodeTexts(tok, batch), batch);
        System.out.printf(Locale.ROOT, "  %5d | %8.1f | %15.2f | %7.1f | %15.2f%n", batch, img[0], img[1], txt[0], txt[1]);
        best = Math.max(best, img[0]);
      }
      var textIn = java.util.List.of(dev.kagami.embedding.EmbedInput.text("a photo of a red running shoe"));
      double[] pipe = measure(a.seconds(), () -> rt.submit(rt.prepare(textIn), dev.kagami.embedding.CallBudget.NONE).join(), 1);
      System.out.printf(Locale.ROOT, "  one text through tokenizer + dynamic batcher + engine, one caller: %.1f texts/s, %.2f ms each%n",
          pipe[0], pipe[1]);
      double[] pre = measure(a.seconds(), () -> rt.transform().apply(rt.decoder().decode(read(a.image()))), 1);
      System.out.printf(Locale.ROOT, "  decode + CLIP transform of %s alone, one thread: %.1f images/s (%.2f ms each)%n",
          a.image().getFileName(), pre[0], pre[1]);
      byte[] big = photoJpeg(3000, 2000);
      double[] preBig = measure(a.seconds(), () -> rt.transform().apply(rt.decoder().decode(big)), 1);
      System.out.printf(Locale.ROOT, "  decode + CLIP transform of a 3000x2000 JPEG (%d KB, made by the bench), one thread: "
          + "%.1f images/s (%.2f ms each)%n", big.length / 1024, preBig[0], preBig[1]);
    }
    return best;
  }

  /** The worst cosine between this engine and ONNX Runtime on CPU, on the parity probes (a GPU engine's check). */
  static void parityAgainstOnnxRuntime(ModelRuntime rt, ModelLoader loader, Args a) {
    ModelLoader.Settings cpu = ModelLoader.Settings.forTool(EngineKind.ONNXRUNTIME);
    try (ModelRuntime ort = loader.load(a.pkg(), cpu)) {
      double worst = dev.kagami.embedding.ParityCheck.worstCosine(rt.engine(), ort.engine(), rt.modelPackage().manifest().image().size(),
          rt.tokenizer());
      System.out.printf(Locale.ROOT, "  parity %s vs ONNX Runtime on CPU (probe images and texts): worst cosine %.6f%n", a.engine(),
          worst);
    }
  }

  /** A photo-like JPEG (smooth gradients with seeded noise, so it compresses as photos do). */
  static byte[] photoJpeg(int w, int h) {
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(3000);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r = (x * 255 / w + rnd.nextInt(24)) & 0xff;
        int g = (y * 255 / h + rnd.nextInt(24)) & 0xff;
        int b = ((x + y) * 128 / (w + h) + rnd.nextInt(24)) & 0xff;
        img.setRGB(x, y, r << 16 | g << 8 | b);
      }
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(img, "jpg", out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  /** {items per second, mean ms per call} over about {@code seconds}, after a short warm-up. */
  static double[] measure(int seconds, Runnable call, int itemsPerCall) {
    long warmEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(2000, seconds * 200L));
    while (System.nanoTime() < warmEnd) {
      call.run();
    }
    long t0 = System.nanoTime();
    long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
    long calls = 0;
    while (System.nanoTime() < end) {
      call.run();
      calls++;
    }
    double sec = (System.nanoTime() - t0) / 1e9;
    return new double[] {calls * itemsPerCall / sec, sec * 1000 / calls};
  }

  static void grpc(Args a, double bestInProcess) throws Exception {
    if (!Files.exists(a.jar())) {
      System.out.println("(b) skipped: " + a.jar() + " is not built (run ./mvnw -DskipTests install)");
      return;
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path pkg = a.pkg();
    Path tmp = Files.createTempDirectory("kagami-bench");
    List<String> cmd = new ArrayList<>(List.of("java", "-Dai.djl.offline=true", "-Dai.djl.default_engine=OnnxRuntime",
        "-DOPT_OUT_TRACKING=true", "-Djava.io.tmpdir=" + tmp, "-Djava.awt.headless=true",
        // its own data (database, index) in the temporary folder: a server on the repository's ./data holds the H2 lock
        "-Dkagami.data-dir=" + tmp.resolve("data"),
        "-Dquarkus.grpc.server.port=" + port, "-Dquarkus.grpc.server.host=127.0.0.1", "-Dquarkus.http.port=0",
        "-Dkagami.model.repository=" + pkg.getParent().getParent(), "-Dkagami.model.name=" + pkg.getParent().getFileName(),
        "-Dkagami.model.version=" + pkg.getFileName(), "-Dkagami.model.engine=" + a.engine().name().toLowerCase(Locale.ROOT)));
    cmd.addAll(a.serverOpts());
    cmd.addAll(List.of("-jar", a.jar().toString()));
    Process server = new ProcessBuilder(cmd)
        .redirectErrorStream(true).redirectOutput(tmp.resolve("server.log").toFile()).start();
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      waitServing(ch, server, tmp.resolve("server.log"));
      byte[] jpeg = read(a.image());
      System.out.println();
      System.out.println("(b) gRPC Embed against the server jar on 127.0.0.1:" + port + ", one input per call");
      System.out.println("  (closed loop; a refused call (RESOURCE_EXHAUSTED) backs off 5-200 ms and is retried, its latency");
      System.out.println("  counted from its first attempt; 'refused' counts the refusals)");
      System.out.println("  clients | images/s | p50 ms | p99 ms | refused | texts/s | p50 ms | p99 ms | refused");
      double best16 = 0;
      for (int n : a.clients()) {
        EmbedRequest imgReq = EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setImage(ByteString.copyFrom(jpeg))).build();
        EmbedRequest txtReq = EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("a red running shoe")).build();
        double[] img = load(ch, imgReq, n, a.seconds());
        double[] txt = load(ch, txtReq, n, a.seconds());
        System.out.printf(Locale.ROOT, "  %7d | %8.1f | %6.2f | %6.2f | %7.0f | %7.1f | %6.2f | %6.2f | %7.0f%n", n, img[0], img[1],
            img[2], img[3], txt[0], txt[1], txt[2], txt[3]);
        if (n == 16) {
          best16 = img[0];
        }
      }
      if (best16 > 0) {
        System.out.printf(Locale.ROOT, "%ngRPC images/s at 16 clients / best in-process engine images/s = %.1f / %.1f = %.2f "
            + "(goal >= 0.90; gRPC includes JPEG decoding and the CLIP transform, the engine figure does not)%n",
            best16, bestInProcess, best16 / bestInProcess);
      }
    } finally {
      ch.shutdownNow();
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
      org.apache.lucene.util.IOUtils.rm(tmp);
    }
  }

  static void waitServing(ManagedChannel ch, Process server, Path log) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < end) {
      if (!server.isAlive()) {
        throw new IllegalStateException("server exited; log:\n" + Files.readString(log));
      }
      try {
        if (HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING) {
          return;
        }
      } catch (RuntimeException e) {
        // not up yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("server not SERVING after 180 s; log:\n" + Files.readString(log));
  }

  /** {calls per second, p50 ms, p99 ms} for {@code clients} closed-loop clients. */
  static double[] load(ManagedChannel ch, EmbedRequest req, int clients, int seconds) throws Exception {
    var stub = EmbeddingServiceGrpc.newBlockingStub(ch);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
    try {
      long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<List<Long>>> fs = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        fs.add(pool.submit(() -> {
          List<Long> lat = new ArrayList<>();
          java.util.Random jitter = new java.util.Random(Thread.currentThread().getId());
          long t0 = System.nanoTime(); // the call's first attempt: its latency includes the refusals before it
          long backoffMs = 5;
          while (true) {
            if (System.nanoTime() >= end) {
              return lat;
            }
            try {
              stub.withDeadlineAfter(60, TimeUnit.SECONDS).embed(req);
            } catch (io.grpc.StatusRuntimeException e) {
              if (e.getStatus().getCode() != io.grpc.Status.Code.RESOURCE_EXHAUSTED) {
                throw e;
              }
              // a client told to back off does so (exponential, with jitter, as gRPC's retry policy), then calls again
              refused.incrementAndGet();
              Thread.sleep(backoffMs / 2 + jitter.nextInt((int) backoffMs));
              backoffMs = Math.min(200, backoffMs * 2);
              continue;
            }
            if (t0 >= warmEnd) {
              lat.add(System.nanoTime() - t0);
            }
            t0 = System.nanoTime();
            backoffMs = 5;
          }
        }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> f : fs) {
        all.addAll(f.get());
      }
      all.sort(null);
      if (all.isEmpty()) {
        return new double[] {0, 0, 0, refused.get()};
      }
      return new double[] {all.size() / (double) seconds, all.get(all.size() / 2) / 1e6,
          all.get(Math.min(all.size() - 1, (int) Math.ceil(all.size() * 0.99) - 1)) / 1e6, refused.get()};
    } finally {
      pool.shutdownNow();
    }
  }

  static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
