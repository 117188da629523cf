package dev.kagami.concurrent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Data-parallel loops on one of the server's own pools (made by {@link ThreadPools}), never the common
 * ForkJoin pool: a range is cut into one contiguous chunk per thread, the caller runs the last chunk itself
 * and waits for the others; the first failure is rethrown. A loop must not start another loop on the same
 * pool from inside its body.
 */
public final class Parallel {

  /** Runs every loop on the calling thread (tests, and work too small to split). */
  public static final Parallel SEQUENTIAL = new Parallel(null, 1);

  private final ExecutorService pool;
  private final int threads;

  public Parallel(ExecutorService pool, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, is " + threads);
    }
    this.pool = pool;
    this.threads = pool == null ? 1 : threads;
  }

  public int threads() {
    return threads;
  }

  /** Where short tasks of this loop's owner may run (the caller's thread when sequential). */
  public Executor executor() {
    return pool == null ? Runnable::run : pool;
  }

  /** Calls {@code body} for every index in [0, n), in parallel chunks. */
  public void forEach(int n, IntConsumer body) {
    int chunks = Math.min(threads, n);
    if (chunks <= 1) {
      for (int i = 0; i < n; i++) {
        body.accept(i);
      }
      return;
    }
    List<Future<?>> others = new ArrayList<>(chunks - 1);
    for (int c = 0; c < chunks - 1; c++) {
      int from = (int) ((long) n * c / chunks);
      int to = (int) ((long) n * (c + 1) / chunks);
      others.add(pool.submit(() -> {
        for (int i = from; i < to; i++) {
          body.accept(i);
        }
      }));
    }
    RuntimeException first = null;
    try {
      for (int i = (int) ((long) n * (chunks - 1) / chunks); i < n; i++) {
        body.accept(i);
      }
    } catch (RuntimeException e) {
      first = e;
    }
    for (Future<?> f : others) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (first == null) {
          first = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        others.forEach(o -> o.cancel(true));
        throw new IllegalStateException("interrupted while waiting for a parallel loop", e);
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
