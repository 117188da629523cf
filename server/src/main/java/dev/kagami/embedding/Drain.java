package dev.kagami.embedding;

import dev.kagami.error.KagamiException.ShuttingDown;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Stops pools the way a server drains: no new task, the queued and running ones finish within the grace
 * period; whatever is still queued after it is answered with {@link ShuttingDown}, never left without an
 * answer (a plain {@code shutdownNow()} drops queued tasks whose futures then never complete).
 */
final class Drain {

  /** A queued task that knows the future its caller waits on. */
  record Task(Runnable work, CompletableFuture<?> result) implements Runnable {
    @Override
    public void run() {
      work.run();
    }
  }

  private Drain() {}

  /** Drains {@code pools} together within {@code grace}; returns how many queued tasks were refused at the end. */
  static int drain(List<ThreadPoolExecutor> pools, Duration grace) {
    pools.forEach(ThreadPoolExecutor::shutdown);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ThreadPoolExecutor p : pools) {
      try {
        p.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int refused = 0;
    for (ThreadPoolExecutor p : pools) {
      for (Runnable r : p.shutdownNow()) {
        if (r instanceof Task t) {
          t.result().completeExceptionally(new ShuttingDown());
          refused++;
        }
      }
    }
    return refused;
  }
}
