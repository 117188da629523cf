package dev.kagami.bench;

import com.google.protobuf.ByteString;
import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.Embedding;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a SIGTERM under load costs the clients: the built server on the default model, concurrent Embed
 * (a 640x480 JPEG) and Search (a text query over a collection) clients, SIGTERM after 1.5-3 s of load,
 * repeated. A call in flight when the signal came must still answer OK; calls sent after it may be refused
 * (UNAVAILABLE tells a client to go to another replica). Writes {@code docs/drain.md} (or {@code --out}).
 *
 * <pre>bin/kagami-drain [--cycles N] [--out FILE]</pre>
 */
public final class DrainBench {

  static final int EMBED_CLIENTS = 3;
  static final int SEARCH_CLIENTS = 3;

  record Call(long sentNanos, long endedNanos, String status) {}

  record Cycle(int inFlight, int inFlightFailed, Map<String, Integer> inFlightStatuses, Map<String, Integer> after,
      double exitSeconds, int exitCode, int completedBefore) {}

  private DrainBench() {}

  public static void main(String[] argv) throws Exception {
    int cycles = 5;
    Path out = Path.of("../docs/drain.md").toAbsolutePath().normalize();
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--cycles" -> cycles = Integer.parseInt(argv[++i]);
        case "--out" -> out = Path.of(argv[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown option " + argv[i] + " (--cycles N, --out FILE)");
      }
    }
    Path repo = Path.of("..").toAbsolutePath().normalize();
    Path data = Files.createTempDirectory(Path.of("target/tmp").toAbsolutePath(), "kagami-drain");
    byte[] jpeg = Files.readAllBytes(Path.of("src/test/resources/fixtures/golden/images/landscape_640x480.jpg"));
    SplittableRandom rnd = new SplittableRandom(20261203);
    List<Cycle> results = new ArrayList<>();
    for (int c = 0; c < cycles; c++) {
      results.add(cycle(repo, data.resolve("c" + c), jpeg, 1500 + rnd.nextInt(1500)));
      System.out.println("cycle " + c + ": " + results.get(c));
    }
    List<String> md = new ArrayList<>();
    md.add("# SIGTERM under load");
    md.add("");
    md.add(String.format(Locale.ROOT, "Written by `bin/kagami-drain --cycles %d` on %s, commit %s; machine: %s. The server is the built "
        + "jar on the default model (ONNX Runtime) on a free loopback port; %d Embed clients (one 640x480 JPEG per call) and %d "
        + "Search clients (a text query, k 10, over 200 vectors) call it back to back with a 10 s deadline, and after 1.5-3 s of "
        + "load it gets SIGTERM. In flight: sent before the signal, answered after it.", cycles, Instant.now(),
        ReliabilityBench.git(repo), ReliabilityBench.machine(), EMBED_CLIENTS, SEARCH_CLIENTS));
    md.add("");
    md.add("| cycle | calls answered before the signal | in flight at the signal | of them failed | their statuses | calls sent after the signal | exit after signal (s) | exit code |");
    md.add("|---|---|---|---|---|---|---|---|");
    int failed = 0;
    int inFlight = 0;
    for (int i = 0; i < results.size(); i++) {
      Cycle r = results.get(i);
      failed += r.inFlightFailed();
      inFlight += r.inFlight();
      md.add(String.format(Locale.ROOT, "| %d | %d | %d | %d | %s | %s | %.2f | %d |", i + 1, r.completedBefore(), r.inFlight(),
          r.inFlightFailed(), r.inFlightStatuses(), r.after(), r.exitSeconds(), r.exitCode()));
    }
    md.add("");
    md.add(String.format(Locale.ROOT, "In flight at SIGTERM: %d calls over %d stops, **%d failed**. Calls sent after the signal are "
        + "refused UNAVAILABLE by the server (`ShutdownGate`) or, once it has closed its port, by the client's channel.",
        inFlight, results.size(), failed));
    int internal = results.stream().mapToInt(r -> r.after().getOrDefault("INTERNAL", 0)).sum();
    if (internal > 0) {
      md.add("");
      md.add(String.format(Locale.ROOT, "%d calls sent after the signal got INTERNAL (RST_STREAM, HTTP/2 INTERNAL_ERROR): they reached "
          + "Quarkus's legacy gRPC server (`io.vertx.grpc.VertxServer`) while it was stopping, after the gate had closed, and fail "
          + "there before any interceptor with an IndexOutOfBoundsException (the server log's warning; quarkusio/quarkus#31168). "
          + "Only calls sent after the signal, at back-to-back rates, meet it.", internal));
    }
    Files.createDirectories(out.getParent());
    Files.write(out, md);
    md.forEach(System.out::println);
  }

  static Cycle cycle(Path repo, Path data, byte[] jpeg, long loadMillis) throws Exception {
    BenchServer s = BenchServer.start(repo, data, List.of());
    var search = SearchServiceGrpc.newBlockingStub(s.channel);
    int dim = search.withDeadlineAfter(30, TimeUnit.SECONDS)
        .createCollection(CreateCollectionRequest.newBuilder().setName("drain").build()).getDimension();
    SplittableRandom r = new SplittableRandom(7);
    UpsertRequest.Builder up = UpsertRequest.newBuilder().setCollection("drain");
    for (int i = 0; i < 200; i++) {
      Embedding.Builder e = Embedding.newBuilder();
      for (float x : dev.kagami.index.VectorStoreConformance.unit(r, dim)) {
        e.addValues(x);
      }
      up.addItems(UpsertItem.newBuilder().setId("v" + i).setVector(e));
    }
    search.withDeadlineAfter(30, TimeUnit.SECONDS).upsert(up.build());

    EmbedRequest embed = EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setImage(ByteString.copyFrom(jpeg))).build();
    SearchRequest query = SearchRequest.newBuilder().setCollection("drain").setText("a photo of a landscape").setK(10).build();
    List<Call> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < EMBED_CLIENTS + SEARCH_CLIENTS; i++) {
      boolean isEmbed = i < EMBED_CLIENTS;
      Thread t = new Thread(() -> {
        var e = EmbeddingServiceGrpc.newBlockingStub(s.channel);
        var q = SearchServiceGrpc.newBlockingStub(s.channel);
        while (!stop.get()) {
          long sent = System.nanoTime();
          String status;
          try {
            if (isEmbed) {
              e.withDeadlineAfter(10, TimeUnit.SECONDS).embed(embed);
            } else {
              q.withDeadlineAfter(10, TimeUnit.SECONDS).search(query);
            }
            status = "OK";
          } catch (StatusRuntimeException x) {
            status = x.getStatus().getCode().name();
          }
          calls.add(new Call(sent, System.nanoTime(), status));
        }
      }, "drain-client-" + i);
      t.start();
      clients.add(t);
    }
    Thread.sleep(loadMillis);
    long signal = System.nanoTime();
    s.sigterm();
    boolean exited = s.process.waitFor(60, TimeUnit.SECONDS);
    double exitSeconds = (System.nanoTime() - signal) / 1e9;
    stop.set(true);
    for (Thread t : clients) {
      t.join(15_000);
    }
    int code = exited ? s.process.exitValue() : -1;
    s.close();
    int before = 0;
    int inFlight = 0;
    int failed = 0;
    Map<String, Integer> inFlightStatuses = new TreeMap<>();
    Map<String, Integer> after = new TreeMap<>();
    synchronized (calls) {
      for (Call c : calls) {
        if (c.endedNanos() < signal) {
          before++;
        } else if (c.sentNanos() < signal) {
          inFlight++;
          inFlightStatuses.merge(c.status(), 1, Integer::sum);
          if (!c.status().equals("OK")) {
            failed++;
          }
        } else {
          after.merge(c.status(), 1, Integer::sum);
        }
      }
    }
    return new Cycle(inFlight, failed, inFlightStatuses, after, exitSeconds, code, before);
  }
}
