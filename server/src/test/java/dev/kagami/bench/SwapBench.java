package dev.kagami.bench;

import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.ModelServiceGrpc;
import dev.kagami.api.v1.PromoteRequest;
import dev.kagami.api.v1.RollbackRequest;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.PatternDataset;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hot-swap bench: the built server (a child process) serves {@code production}; clients call Embed (one
 * text each) for a steady phase, then for a phase in which the alias is moved back and forth between two
 * versions of the package (Rollback after one Promote; each move loads and warms the version, switches,
 * and retires the old one). Prints calls, failures and latency in both phases, and how long a move takes.
 *
 * <pre>bin/kagami-bench-swap [--package DIR] [--seconds N] [--clients N] [--swaps N] [--out docs/bench-swap.md]</pre>
 */
public final class SwapBench {

  public static void main(String[] argv) throws Exception {
    Path root = Path.of("").toAbsolutePath();
    Path repo = Files.exists(root.resolve("models")) ? root : root.getParent();
    Path pkg = repo.resolve("models/kagami-clip/1");
    int seconds = 10;
    int clients = 4;
    int swaps = 10;
    Path out = null;
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--package" -> pkg = Path.of(argv[++i]).toAbsolutePath();
        case "--seconds" -> seconds = Integer.parseInt(argv[++i]);
        case "--clients" -> clients = Integer.parseInt(argv[++i]);
        case "--swaps" -> swaps = Integer.parseInt(argv[++i]);
        case "--out" -> out = Path.of(argv[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    String manifest = Files.readString(pkg.resolve("kagami-model.json"));
    String name = manifest.replaceAll("(?s).*\"name\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    String version = manifest.replaceAll("(?s).*\"version\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    Path data = Files.createTempDirectory("kagami-swap-bench");
    Path models = data.resolve("models");
    Fixtures.copyTree(pkg, models.resolve(name).resolve(version));
    Path other = models.resolve(name).resolve(version + "-b");
    Fixtures.copyTree(pkg, other);
    Files.writeString(other.resolve("kagami-model.json"), manifest.replaceFirst("\"version\"\\s*:\\s*\"" + version + "\"",
        "\"version\": \"" + version + "-b\""));
    List<String> opts = List.of("-Dkagami.model.repository=" + models, "-Dkagami.model.name=" + name,
        "-Dkagami.model.version=" + version, "-Dkagami.data-dir=" + data.resolve("data"),
        "-Dkagami.dataset.import-roots=" + System.getProperty("java.io.tmpdir") + ",/tmp");
    try (BenchServer s = BenchServer.start(repo, data, opts)) {
      var embed = EmbeddingServiceGrpc.newBlockingStub(s.channel);
      var registry = ModelServiceGrpc.newBlockingStub(s.channel).withDeadlineAfter(600, TimeUnit.SECONDS);
      PatternDataset.importInto(s.channel, "swap-bench");
      ModelRef b = ModelRef.newBuilder().setName(name).setVersion(version + "-b").build();
      // the first move judges both versions on the dataset; the moves measured below are Rollbacks (no gate)
      registry.promote(PromoteRequest.newBuilder().setModel(b).setDataset("swap-bench").setOverrideReason("bench").build());
      registry.rollback(RollbackRequest.newBuilder().setReason("bench").build());
      run(embed, clients, 5, () -> {}); // warm-up, not reported
      Phase steady = run(embed, clients, seconds, () -> {});
      List<Double> moveMs = new ArrayList<>();
      long every = TimeUnit.SECONDS.toMillis(seconds) / (swaps + 1);
      int swapCount = swaps;
      Phase swapping = run(embed, clients, seconds, () -> {
        for (int i = 0; i < swapCount; i++) {
          sleep(every);
          long t0 = System.nanoTime();
          registry.rollback(RollbackRequest.newBuilder().setReason("bench swap " + i).build());
          moveMs.add((System.nanoTime() - t0) / 1e6);
        }
      });
      String md = report(name + "/" + version, clients, seconds, swaps, steady, swapping, moveMs, argv);
      System.out.println(md);
      if (out != null) {
        Files.writeString(out, md, StandardCharsets.UTF_8);
        System.out.println("wrote " + out);
      }
    }
  }

  record Phase(int calls, Map<String, Integer> failures, Map<String, Integer> served, double[] latenciesMs) {}

  static String call(EmbeddingServiceGrpc.EmbeddingServiceBlockingStub embed, String text) {
    EmbedResponse r = embed.withDeadlineAfter(30, TimeUnit.SECONDS).embed(EmbedRequest.newBuilder()
        .addInputs(EmbedInput.newBuilder().setText(text)).build());
    return r.getModel().getName() + "/" + r.getModel().getVersion();
  }

  static Phase run(EmbeddingServiceGrpc.EmbeddingServiceBlockingStub embed, int clients, int seconds, Runnable meanwhile)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    Map<String, Integer> served = new ConcurrentHashMap<>();
    List<double[]> per = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      double[][] mine = {new double[1024]};
      int[] n = {0};
      int id = c;
      Thread t = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          long t0 = System.nanoTime();
          try {
            served.merge(call(embed, "a photo of item " + id + "-" + i), 1, Integer::sum);
          } catch (StatusRuntimeException e) {
            failures.merge(e.getStatus().getCode().name(), 1, Integer::sum);
          }
          if (n[0] == mine[0].length) {
            mine[0] = Arrays.copyOf(mine[0], n[0] * 2);
          }
          mine[0][n[0]++] = (System.nanoTime() - t0) / 1e6;
        }
        synchronized (per) {
          per.add(Arrays.copyOf(mine[0], n[0]));
        }
      });
      t.start();
      threads.add(t);
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    meanwhile.run();
    sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
    stop.set(true);
    for (Thread t : threads) {
      t.join(60_000);
    }
    double[] all = per.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
    return new Phase(all.length, new TreeMap<>(failures), new TreeMap<>(served), all);
  }

  static double pct(double[] sorted, double p) {
    return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String report(String model, int clients, int seconds, int swaps, Phase steady, Phase swapping, List<Double> moveMs,
      String[] argv) {
    double[] moves = moveMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    StringBuilder s = new StringBuilder("# Hot swap under load\n\n");
    s.append(String.format(Locale.ROOT, "Written by `bin/kagami-bench-swap%s` on %s, on this machine (%d cores). The built "
        + "server serves `%s` as `production`; %d clients call Embed with one text each, back to back, for %d s steadily (after "
        + "5 s of the same load as warm-up) and then for %d s while `production` is moved %d times between two versions of the package (Rollback: each move "
        + "loads and warms the version it moves to, switches, and retires the other).%n%n",
        argv.length == 0 ? "" : " " + String.join(" ", argv), LocalDate.now(ZoneOffset.UTC),
        Runtime.getRuntime().availableProcessors(), model, clients, seconds, seconds, swaps));
    s.append("| phase | calls | failed | p50 ms | p99 ms | max ms | served by |\n|---|---:|---:|---:|---:|---:|---|\n");
    for (Object[] row : new Object[][] {{"steady", steady}, {"during swaps", swapping}}) {
      Phase p = (Phase) row[1];
      s.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f | %.2f | %.2f | %s |%n", row[0], p.calls(),
          p.failures().values().stream().mapToInt(Integer::intValue).sum(), pct(p.latenciesMs(), 0.5),
          pct(p.latenciesMs(), 0.99), p.latenciesMs().length == 0 ? Double.NaN : p.latenciesMs()[p.latenciesMs().length - 1],
          p.served()));
    }
    s.append(String.format(Locale.ROOT, "%nA move (the Rollback call, load + warm-up + switch + audit row) took p50 %.0f ms, "
        + "max %.0f ms over %d moves. Failures by code: steady %s, during swaps %s.%n", pct(moves, 0.5),
        moves.length == 0 ? Double.NaN : moves[moves.length - 1], moves.length, steady.failures(), swapping.failures()));
    return s.toString();
  }
}
