package dev.kagami.bench;

import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.Embedding;
import dev.kagami.api.v1.GetRequest;
import dev.kagami.api.v1.GetResponse;
import dev.kagami.api.v1.MetadataValue;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.StatsRequest;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writers upsert through gRPC (vectors, with a poisoned write now and then) while the server is killed
 * with SIGKILL at a random moment; after each restart every acknowledged item must be there with its exact
 * vector. The last cycle stops the server with SIGTERM instead and records what clients were told.
 */
final class CrashCycles {

  record Result(int cycles, int acknowledged, int lost, int poisonedRefused, int poisonedAccepted,
      Map<String, Integer> afterSigterm, Map<String, Integer> healthAfterSigterm, List<Double> restartSeconds) {}

  private CrashCycles() {}

  static Result run(Path repo, Path data, int cycles, long seed) throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    Map<String, float[]> acked = new ConcurrentHashMap<>();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger accepted = new AtomicInteger();
    Map<String, Integer> afterTerm = new TreeMap<>();
    Map<String, Integer> healthAfterTerm = new TreeMap<>();
    List<Double> restarts = new java.util.ArrayList<>();
    int lost = 0;
    int dim = -1;
    for (int cycle = 0; cycle <= cycles; cycle++) {
      long t0 = System.nanoTime();
      BenchServer s = BenchServer.start(repo, data, List.of());
      restarts.add((System.nanoTime() - t0) / 1e9);
      var search = SearchServiceGrpc.newBlockingStub(s.channel);
      if (cycle == 0) {
        dim = search.withDeadlineAfter(30, TimeUnit.SECONDS)
            .createCollection(CreateCollectionRequest.newBuilder().setName("crash").build()).getDimension();
      }
      // everything acknowledged before is there, with its vector
      for (Map.Entry<String, float[]> e : acked.entrySet()) {
        try {
          GetResponse g = search.withDeadlineAfter(30, TimeUnit.SECONDS)
              .get(GetRequest.newBuilder().setCollection("crash").setId(e.getKey()).build());
          float[] v = e.getValue();
          for (int i = 0; i < v.length; i++) {
            if (Math.abs(g.getVector().getValues(i) - v[i]) > 1e-6) { // the server re-normalises: float rounding
              lost++;
              break;
            }
          }
        } catch (StatusRuntimeException ex) {
          lost++;
        }
      }
      search.withDeadlineAfter(30, TimeUnit.SECONDS).stats(StatsRequest.newBuilder().setCollection("crash").build());
      search.withDeadlineAfter(30, TimeUnit.SECONDS).search(SearchRequest.newBuilder().setCollection("crash").setText("a shoe")
          .build());
      if (cycle == cycles) {
        s.close();
        break;
      }
      boolean term = cycle == cycles - 1;
      AtomicBoolean stopped = new AtomicBoolean();
      int d = dim;
      List<Thread> writers = new java.util.ArrayList<>();
      for (int w = 0; w < 2; w++) {
        long wseed = rnd.nextLong();
        String prefix = "c" + cycle + "-w" + w + "-";
        Thread t = new Thread(() -> write(s, prefix, d, wseed, acked, refused, accepted, stopped,
            term ? afterTerm : null));
        t.start();
        writers.add(t);
      }
      Thread.sleep(1000 + rnd.nextInt(1500));
      stopped.set(true);
      if (term) {
        Thread health = new Thread(() -> probeHealth(s, healthAfterTerm));
        s.sigterm();
        health.start();
        s.process.waitFor(60, TimeUnit.SECONDS);
        health.join(10_000);
      } else {
        s.kill9();
      }
      for (Thread t : writers) {
        t.join(60_000);
      }
      s.channel.shutdownNow();
    }
    return new Result(cycles, acked.size(), lost, refused.get(), accepted.get(), afterTerm, healthAfterTerm, restarts);
  }

  /** Health checks every 10 ms from the signal until the server is gone: what a load balancer sees. */
  private static void probeHealth(BenchServer s, Map<String, Integer> seen) {
    var health = grpc.health.v1.HealthGrpc.newBlockingStub(s.channel);
    while (s.process.isAlive()) {
      String what;
      try {
        what = health.withDeadlineAfter(2, TimeUnit.SECONDS).check(grpc.health.v1.HealthOuterClass.HealthCheckRequest
            .getDefaultInstance()).getStatus().name();
      } catch (StatusRuntimeException e) {
        what = e.getStatus().getCode().name();
        if (e.getStatus().getCode() == Status.Code.INTERNAL || e.getStatus().getCode() == Status.Code.UNKNOWN) {
          what += " (" + e.getStatus().getDescription() + ")"; // unexpected: say what it was
        }
      }
      seen.merge(what, 1, Integer::sum);
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void write(BenchServer s, String prefix, int dim, long seed, Map<String, float[]> acked, AtomicInteger refused,
      AtomicInteger accepted, AtomicBoolean stopped, Map<String, Integer> afterStop) {
    SplittableRandom r = new SplittableRandom(seed);
    var stub = SearchServiceGrpc.newBlockingStub(s.channel);
    for (int n = 0; ; n++) {
      UpsertRequest.Builder b = UpsertRequest.newBuilder().setCollection("crash");
      Map<String, float[]> batch = new java.util.HashMap<>();
      for (int i = 0; i < 10; i++) {
        float[] v = dev.kagami.index.VectorStoreConformance.unit(r, dim);
        Embedding.Builder e = Embedding.newBuilder();
        for (float x : v) {
          e.addValues(x);
        }
        String id = prefix + n + "-" + i;
        batch.put(id, v);
        b.addItems(UpsertItem.newBuilder().setId(id).setVector(e));
      }
      boolean poison = n % 5 == 4;
      if (poison) {
        b.getItemsBuilder(0).putMetadata("desc", MetadataValue.newBuilder().setText("x".repeat(40_000)).build());
      }
      boolean afterSignal = stopped.get();
      try {
        stub.withDeadlineAfter(10, TimeUnit.SECONDS).upsert(b.build());
        if (poison) {
          accepted.incrementAndGet();
        } else {
          acked.putAll(batch);
        }
        if (afterSignal && afterStop != null) {
          synchronized (afterStop) {
            afterStop.merge("OK", 1, Integer::sum);
          }
        }
      } catch (StatusRuntimeException e) {
        Status.Code c = e.getStatus().getCode();
        if (poison && c == Status.Code.INVALID_ARGUMENT) {
          refused.incrementAndGet();
          continue;
        }
        if (afterSignal && afterStop != null) {
          synchronized (afterStop) {
            afterStop.merge(c.name(), 1, Integer::sum);
          }
        }
        if (c == Status.Code.UNAVAILABLE || c == Status.Code.CANCELLED || c == Status.Code.DEADLINE_EXCEEDED
            || !s.process.isAlive()) {
          if (stopped.get()) {
            return; // the server is gone
          }
        }
      }
      if (stopped.get() && !s.process.isAlive()) {
        return;
      }
    }
  }
}
