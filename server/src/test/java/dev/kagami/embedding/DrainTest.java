package dev.kagami.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.error.KagamiException.ShuttingDown;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DrainTest {

  @Test
  void queued_work_finishes_within_the_grace_and_every_caller_gets_an_answer() throws Exception {
    ThreadPoolExecutor pool = new ThreadPools().bounded("drain-test", 1, 16);
    List<CompletableFuture<String>> results = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      CompletableFuture<String> f = new CompletableFuture<>();
      int n = i;
      pool.execute(new Drain.Task(() -> {
        sleep(20);
        f.complete("done " + n);
      }, f));
      results.add(f);
    }
    assertThat(Drain.drain(List.of(pool), Duration.ofSeconds(10))).isZero();
    for (CompletableFuture<String> f : results) {
      assertThat(f.get(1, TimeUnit.SECONDS)).startsWith("done");
    }
  }

  @Test
  void what_is_still_queued_after_the_grace_is_refused_not_dropped() throws Exception {
    ThreadPoolExecutor pool = new ThreadPools().bounded("drain-test", 1, 16);
    CountDownLatch stuck = new CountDownLatch(1);
    CompletableFuture<String> running = new CompletableFuture<>();
    pool.execute(new Drain.Task(() -> {
      try {
        stuck.await();
        running.complete("finished late");
      } catch (InterruptedException e) {
        running.completeExceptionally(new ShuttingDown());
      }
    }, running));
    List<CompletableFuture<String>> queued = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      CompletableFuture<String> f = new CompletableFuture<>();
      pool.execute(new Drain.Task(() -> f.complete("ran"), f));
      queued.add(f);
    }
    long t0 = System.nanoTime();
    assertThat(Drain.drain(List.of(pool), Duration.ofMillis(200))).isEqualTo(3);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5000);
    for (CompletableFuture<String> f : queued) {
      assertThat(f).isCompletedExceptionally();
      try {
        f.get();
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(ShuttingDown.class);
      }
    }
    // the task still running past the grace is interrupted; it answers too
    assertThat(running).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(ShuttingDown.class);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
