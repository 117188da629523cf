package dev.kagami.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load: calls are sent at a fixed rate whatever the server does (as real clients arrive), not
 * one after another per client, so overload shows as it would in production. Bounded in count and time.
 */
final class OpenLoad {

  /** What one level of load gave. */
  record Result(double offeredPerSecond, int seconds, int sent, Map<String, Integer> codes, double goodputPerSecond,
      double okP50Ms, double okP99Ms, double rejectP50Ms, double rejectP99Ms) {}

  private OpenLoad() {}

  /**
   * Sends {@code rate} calls a second for {@code seconds}, spread round-robin over {@code channels} (one
   * connection each, as many clients would open).
   */
  static Result run(List<ManagedChannel> channels, EmbedRequest req, double rate, int seconds, long deadlineMs)
      throws InterruptedException {
    List<EmbeddingServiceGrpc.EmbeddingServiceFutureStub> stubs = channels.stream().map(EmbeddingServiceGrpc::newFutureStub)
        .toList();
    int total = (int) Math.min(200_000, Math.round(rate * seconds));
    Map<String, AtomicInteger> codes = new ConcurrentHashMap<>();
    List<Long> ok = Collections.synchronizedList(new ArrayList<>());
    List<Long> rejected = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(total);
    long start = System.nanoTime();
    double gap = 1e9 / rate;
    for (int i = 0; i < total; i++) {
      long at = start + (long) (i * gap);
      long wait = at - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      long t0 = System.nanoTime();
      Futures.addCallback(stubs.get(i % stubs.size()).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).embed(req), new FutureCallback<EmbedResponse>() {
        @Override
        public void onSuccess(EmbedResponse r) {
          ok.add(System.nanoTime() - t0);
          codes.computeIfAbsent("OK", k -> new AtomicInteger()).incrementAndGet();
          done.countDown();
        }

        @Override
        public void onFailure(Throwable t) {
          Status s = Status.fromThrowable(t);
          if (s.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
            rejected.add(System.nanoTime() - t0);
          }
          codes.computeIfAbsent(s.getCode().name(), k -> new AtomicInteger()).incrementAndGet();
          done.countDown();
        }
      }, MoreExecutors.directExecutor());
    }
    done.await(deadlineMs + 30_000, TimeUnit.MILLISECONDS);
    Map<String, Integer> c = new TreeMap<>();
    codes.forEach((k, v) -> c.put(k, v.get()));
    return new Result(rate, seconds, total, c, ok.size() / (double) seconds, pct(ok, 50), pct(ok, 99), pct(rejected, 50),
        pct(rejected, 99));
  }

  static double pct(List<Long> nanos, int p) {
    List<Long> s;
    synchronized (nanos) {
      s = new ArrayList<>(nanos);
    }
    if (s.isEmpty()) {
      return Double.NaN;
    }
    Collections.sort(s);
    return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1)) / 1e6;
  }
}
