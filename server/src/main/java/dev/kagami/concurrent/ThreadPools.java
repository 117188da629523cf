package dev.kagami.concurrent;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one factory of the server's threads: every pool is bounded (threads and queue), its threads are
 * named after it (so a thread dump says whose they are) and are daemons (a stuck job never holds the JVM
 * at exit). Nothing in the server runs on the common ForkJoin pool. Having one factory is what lets
 * metrics and tracing wrap every pool in one place.
 */
@ApplicationScoped
public class ThreadPools {

  /** A pool this factory made, under a name unique in this process ({@code lane-image}, {@code lane-image#2}, ...). */
  public record Made(String name, ThreadPoolExecutor pool) {}

  private final java.util.List<Made> made = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.Map<String, AtomicInteger> names = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile java.util.function.Consumer<Made> watcher = m -> {};

  private <T extends ThreadPoolExecutor> T track(String name, T pool) {
    int n = names.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    Made m = new Made(n == 1 ? name : name + "#" + n, pool);
    made.add(m);
    watcher.accept(m);
    return pool;
  }

  /**
   * Every pool made so far is passed to {@code w} now, and every pool made later when it is made (the metrics
   * bind them); pools that terminated are dropped.
   */
  public synchronized void watch(java.util.function.Consumer<Made> w) {
    made.removeIf(m -> m.pool().isTerminated());
    watcher = w;
    made.forEach(w);
  }

  /** Threads named {@code kagami-<name>-<n>}. */
  public ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "kagami-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * A pool of {@code threads} threads and a queue of {@code queueCapacity} tasks (0 = no queue: a task is
   * refused when every thread is busy); a task beyond that is refused with
   * {@link java.util.concurrent.RejectedExecutionException}.
   */
  public ThreadPoolExecutor bounded(String name, int threads, int queueCapacity) {
    if (threads < 1 || queueCapacity < 0) {
      throw new IllegalArgumentException(name + ": threads must be >= 1 and the queue >= 0, are " + threads + " and "
          + queueCapacity);
    }
    BlockingQueue<Runnable> queue = queueCapacity == 0 ? new java.util.concurrent.SynchronousQueue<>()
        : new ArrayBlockingQueue<>(queueCapacity);
    return track(name, new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, queue, threads(name)));
  }

  /**
   * A pool of {@code threads} threads for work whose amount its caller bounds (one task per thread of a
   * fork-join style split, for example); its queue is unbounded because the caller never submits more than
   * it waits for.
   */
  public ThreadPoolExecutor workers(String name, int threads) {
    return track(name, new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads(name)));
  }

  /** One thread for periodic work (background commits, for example), named {@code kagami-<name>-1}. */
  public java.util.concurrent.ScheduledExecutorService scheduled(String name) {
    return track(name, new java.util.concurrent.ScheduledThreadPoolExecutor(1, threads(name)));
  }

  /** A {@link Parallel} of {@code threads} threads on a pool of its own named {@code name}. */
  public Parallel parallel(String name, int threads) {
    return new Parallel(workers(name, threads), threads);
  }

  /**
   * The server's pool for CPU-bound loops (metrics over embeddings, caption mining, image checks at
   * import): one thread per core.
   */
  @jakarta.enterprise.inject.Produces
  @jakarta.inject.Singleton
  public Parallel compute() {
    return parallel("compute", Runtime.getRuntime().availableProcessors());
  }
}
