package dev.kagami.bench;

import com.google.protobuf.ByteString;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.index.IndexFuzzTargets;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.preprocess.PreprocessFuzzTargets;
import dev.kagami.testing.Fuzzer;
import dev.kagami.testing.MalformedInputs;
import dev.kagami.testing.RawCalls;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The reliability figures of {@code docs/reliability.md}, measured against the built server jar on the
 * default model: malformed inputs by RPC, open-loop overload at 2x and 5x capacity, kill -9 cycles under
 * write load, and fuzz executions. Writes the report (with the command, commit and machine) and prints it.
 *
 * <pre>bin/kagami-reliability [--seconds N] [--crash-cycles N] [--fuzz-seconds N] [--out FILE]</pre>
 */
public final class ReliabilityBench {

  /** The server under load runs at this niceness, so the load generator beside it sends on time. */
  static final int LOAD_SERVER_NICENESS = 10;

  public static void main(String[] argv) throws Exception {
    int seconds = 20;
    int cycles = 5;
    int fuzzSeconds = 10;
    Path repo = Path.of("").toAbsolutePath().getParent();
    Path out = repo.resolve("docs/reliability.md");
    List<String> serverOpts = new ArrayList<>();
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--seconds" -> seconds = Integer.parseInt(argv[++i]);
        case "--crash-cycles" -> cycles = Integer.parseInt(argv[++i]);
        case "--fuzz-seconds" -> fuzzSeconds = Integer.parseInt(argv[++i]);
        case "--out" -> out = Path.of(argv[++i]).toAbsolutePath();
        case "--server-opt" -> serverOpts.add(argv[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    List<String> md = new ArrayList<>();
    md.add("# Reliability figures");
    md.add("");
    md.add("Written by `bin/kagami-reliability " + String.join(" ", argv) + "` on " + Instant.now() + ", commit "
        + git(repo) + "; machine: " + machine() + ". The server is the built jar on the default model "
        + "(`models/kagami-clip/1`, ONNX Runtime), on a free loopback port, its data in a temporary folder.");
    Path data = Files.createTempDirectory("kagami-reliability");
    try (BenchServer s = BenchServer.start(repo, data.resolve("load"), serverOpts, LOAD_SERVER_NICENESS)) {
      malformed(s, md);
      long before = Files.readAllLines(s.log).size();
      long budgetMs = serverOpts.stream().filter(o -> o.startsWith("-Dkagami.serving.image-queue-budget="))
          .map(o -> Long.parseLong(o.substring(o.indexOf('=') + 1).replace("ms", ""))).findFirst().orElse(250L);
      overload(s, md, seconds, budgetMs);
      List<String> log = Files.readAllLines(s.log);
      long warnings = log.subList((int) before, log.size()).stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
          .count();
      md.add("");
      md.add("Server log during the overload runs: " + (log.size() - before) + " lines, " + warnings
          + " of them warnings or errors (expired and cancelled calls are normal traffic, not logged one by one).");
    }
    crashes(repo, data.resolve("crash"), cycles, md);
    fuzz(md, fuzzSeconds);
    org.apache.lucene.util.IOUtils.rm(data);
    Files.createDirectories(out.getParent());
    Files.write(out, md);
    md.forEach(System.out::println);
  }

  static void malformed(BenchServer s, List<String> md) throws Exception {
    var search = SearchServiceGrpc.newBlockingStub(s.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    MalformedInputs.setUp(search, 128);
    Map<String, int[]> byRpc = new TreeMap<>();
    Map<String, Map<String, Integer>> seen = new TreeMap<>();
    List<String> mismatches = new ArrayList<>();
    List<MalformedInputs.Case> cases = new ArrayList<>(MalformedInputs.cases(128, 4096, 256));
    for (MethodDescriptor<?, ?> m : RawCalls.kagamiMethods()) {
      for (byte[] g : RawCalls.GARBAGE) {
        cases.add(new MalformedInputs.Case(m, "undecodable body", g, Status.Code.INVALID_ARGUMENT));
      }
    }
    for (MalformedInputs.Case c : cases) {
      Status st = RawCalls.call(s.channel, c.method(), c.request());
      String rpc = c.method().getFullMethodName().replace("kagami.v1.", "");
      int[] n = byRpc.computeIfAbsent(rpc, k -> new int[2]);
      n[0]++;
      seen.computeIfAbsent(rpc, k -> new TreeMap<>()).merge(st.getCode().name(), 1, Integer::sum);
      if (st.getCode() != c.expected()) {
        n[1]++;
        mismatches.add(rpc + " with " + c.what() + ": " + st.getCode() + " (expected " + c.expected() + ")");
      }
    }
    md.add("");
    md.add("## Malformed and boundary inputs");
    md.add("");
    md.add("Every kagami.v1 RPC: the cases of `MalformedInputs` (the table the gRPC test runs) and four undecodable bodies "
        + "per method. " + cases.size() + " calls, " + mismatches.size() + " answered other than the API promises.");
    md.add("");
    md.add("| RPC | calls | mismatches | statuses seen |");
    md.add("|---|---|---|---|");
    byRpc.forEach((rpc, n) -> md.add("| " + rpc + " | " + n[0] + " | " + n[1] + " | " + seen.get(rpc) + " |"));
    mismatches.forEach(m -> md.add("- mismatch: " + m));
  }

  static void overload(BenchServer s, List<String> md, int seconds, long budgetMs) throws Exception {
    byte[] jpeg = Files.readAllBytes(Path.of("src/test/resources/fixtures/golden/images/landscape_640x480.jpg"));
    EmbedRequest image = EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setImage(ByteString.copyFrom(jpeg))).build();
    EmbedBench.load(s.channel, image, 8, 5); // warm-up
    double[] cap = EmbedBench.load(s.channel, image, 8, seconds);
    md.add("");
    md.add("## Overload");
    md.add("");
    md.add(String.format(Locale.ROOT, "Capacity: %.1f image calls/s (one 640x480 JPEG per call, 8 closed-loop clients, %d s; "
        + "p50 %.1f ms, p99 %.1f ms; %.0f calls refused and retried after 5 ms). Then open-loop load (calls sent at a fixed rate over 4 connections, 2 s deadline each) at 2x and 5x that "
        + "for %d s, with a text call every 100 ms beside it. Goals: goodput >= 90 %% of capacity, rejections in < 5 ms at "
        + "p99, admitted calls within the image queue budget (kagami.serving.image-queue-budget, here %d ms; it bounds the expected queue wait, the figure below is the whole call as the client sees it).", cap[0], seconds, cap[1], cap[2], cap[3], seconds, budgetMs));
    md.add("");
    md.add("| load | offered calls/s | statuses | goodput calls/s (% of capacity) | admitted p50 / p99 ms | rejected p50 / p99 ms "
        + "| text p50 / p99 ms | server peak RSS MiB |");
    md.add("|---|---|---|---|---|---|---|---|");
    List<String> goals = new ArrayList<>();
    for (int mult : new int[] {2, 5}) {
      List<Long> text = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      Thread probe = new Thread(() -> {
        var stub = EmbeddingServiceGrpc.newBlockingStub(s.channel);
        EmbedRequest t = EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("a red running shoe")).build();
        while (!stop.get()) {
          long t0 = System.nanoTime();
          try {
            stub.withDeadlineAfter(5, TimeUnit.SECONDS).embed(t);
            text.add(System.nanoTime() - t0);
          } catch (RuntimeException e) {
            text.add(TimeUnit.SECONDS.toNanos(5));
          }
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      probe.start();
      List<io.grpc.ManagedChannel> channels = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        channels.add(io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", s.port).usePlaintext().build());
      }
      OpenLoad.Result r;
      try {
        r = OpenLoad.run(channels, image, cap[0] * mult, seconds, 2000);
      } finally {
        channels.forEach(io.grpc.ManagedChannel::shutdownNow);
      }
      stop.set(true);
      probe.join();
      md.add(String.format(Locale.ROOT, "| %dx | %.1f | %s | %.1f (%.0f %%) | %.0f / %.0f | %.2f / %.2f | %.1f / %.1f | %d |", mult,
          r.offeredPerSecond(), r.codes(), r.goodputPerSecond(), 100 * r.goodputPerSecond() / cap[0], r.okP50Ms(), r.okP99Ms(),
          r.rejectP50Ms(), r.rejectP99Ms(), OpenLoad.pct(text, 50), OpenLoad.pct(text, 99), s.peakRssMib()));
      goals.add(String.format(Locale.ROOT, "- %dx: goodput >= 90 %% of capacity: %s; rejections < 5 ms at p99: %s; admitted "
          + "p99 <= %d ms: %s.", mult, r.goodputPerSecond() >= 0.9 * cap[0] ? "met" : "**not met**",
          r.rejectP99Ms() < 5 ? "met" : "**not met**", budgetMs, r.okP99Ms() <= budgetMs ? "met" : "**not met**"));
    }
    md.add("");
    md.addAll(goals);
    md.add("");
    md.add("Latencies are client-side, on the same machine as the server. The server runs at niceness " + LOAD_SERVER_NICENESS
        + " (`nice -n " + LOAD_SERVER_NICENESS + "`), so the load generator, which needs little CPU, sends on time as clients on "
        + "their own machines would; the server still has every core the generator leaves.");
  }

  static void crashes(Path repo, Path data, int cycles, List<String> md) throws Exception {
    CrashCycles.Result r = CrashCycles.run(repo, data, cycles, 20261202L);
    md.add("");
    md.add("## Crashes");
    md.add("");
    md.add(String.format(Locale.ROOT, "%d cycles: two writers upsert batches of 10 vectors over gRPC (every fifth batch carries "
        + "a value over Lucene's term limit), the server is killed with SIGKILL after 1-2.5 s (the last cycle: SIGTERM), then "
        + "started again on the same data and every acknowledged item is read back. Acknowledged items: %d; lost or changed: "
        + "**%d**. Poisoned batches refused with INVALID_ARGUMENT: %d, accepted: %d. Statuses of calls sent after SIGTERM: %s; "
        + "health checks every 10 ms from SIGTERM to exit: %s. Start-up to SERVING (s): %s.", r.cycles(), r.acknowledged(),
        r.lost(), r.poisonedRefused(), r.poisonedAccepted(), r.afterSigterm(), r.healthAfterSigterm(), r.restartSeconds().stream().map(x -> String.format(Locale.ROOT, "%.1f", x)).toList()));
  }

  static void fuzz(List<String> md, int seconds) throws Exception {
    long nanos = TimeUnit.SECONDS.toNanos(seconds);
    long seed = 20261202L;
    List<Fuzzer.Result> results = new ArrayList<>();
    results.add(Fuzzer.run("image", Fuzzer.corpus("image"),
        PreprocessFuzzTargets.imageDecoder(new ImageDecoder(new ImageLimits(2_000_000, 4_000_000))), nanos, seed));
    ModelPackage pkg = new ModelPackageReader().read(dev.kagami.testing.Fixtures.TINY_CLIP);
    try (ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 200)) {
      results.add(Fuzzer.run("text", Fuzzer.corpus("text"), PreprocessFuzzTargets.tokenizer(tok, pkg.manifest().text()), nanos,
          seed));
    }
    results.add(Fuzzer.run("wal", Fuzzer.corpus("wal"), IndexFuzzTargets.walReader(), nanos, seed));
    try (var dir = new org.apache.lucene.store.ByteBuffersDirectory();
        var writer = new org.apache.lucene.index.IndexWriter(dir, new org.apache.lucene.index.IndexWriterConfig())) {
      results.add(Fuzzer.run("upsert", Fuzzer.corpus("upsert"), IndexFuzzTargets.upsertValidation(writer), nanos, seed));
    }
    md.add("");
    md.add("## Fuzzing");
    md.add("");
    md.add("`dev.kagami.testing.Fuzzer` (seeded mutations of the committed corpus, `fixtures/fuzz/`), " + seconds
        + " s per target, seed " + seed + " (CI runs the same targets for 4 s each in `PreprocessFuzzTest` and `IndexFuzzTest`).");
    md.add("");
    md.add("| target | corpus | executions | crashes | outcomes |");
    md.add("|---|---|---|---|---|");
    for (Fuzzer.Result r : results) {
      md.add("| " + r.target() + " | " + r.corpus() + " | " + r.executions() + " | " + r.crashes().size() + " | " + r.outcomes()
          + " |");
      r.crashes().forEach(c -> md.add("- crash: " + c));
    }
  }

  static String git(Path repo) {
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").directory(repo.toFile()).start();
      String h = new String(p.getInputStream().readAllBytes()).strip();
      Process d = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").directory(repo.toFile()).start();
      boolean dirty = !new String(d.getInputStream().readAllBytes()).isBlank();
      return h + (dirty ? " (with uncommitted changes)" : "");
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  static String machine() {
    String cpu = "unknown CPU";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(cpu);
    } catch (java.io.IOException e) {
      // keep unknown
    }
    return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java " + System.getProperty("java.version");
  }
}
