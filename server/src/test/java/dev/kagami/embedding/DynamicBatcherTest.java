package dev.kagami.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.DeadlineExceeded;
import dev.kagami.error.KagamiException.Overloaded;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DynamicBatcherTest {

  /** An engine that records what it ran and can be held until released. */
  static final class RecordingEngine {
    final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch release;
    final CountDownLatch entered = new CountDownLatch(1);

    RecordingEngine(boolean hold) {
      release = new CountDownLatch(hold ? 1 : 0);
    }

    float[][] run(List<Integer> batch) {
      entered.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      batches.add(List.copyOf(batch));
      float[][] out = new float[batch.size()][];
      for (int i = 0; i < batch.size(); i++) {
        out[i] = new float[] {batch.get(i)};
      }
      return out;
    }

    List<Integer> seen() {
      List<Integer> all = new ArrayList<>();
      batches.forEach(all::addAll);
      return all;
    }
  }

  static DynamicBatcher.Settings settings(int maxBatch, long waitMillis, int capacity) {
    return new DynamicBatcher.Settings(maxBatch, TimeUnit.MILLISECONDS.toNanos(waitMillis), capacity, 1);
  }

  @Test
  void items_queued_while_the_engine_is_busy_are_grouped_into_batches_and_answered_in_place() throws Exception {
    RecordingEngine engine = new RecordingEngine(true);
    try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", settings(8, 50, 100), engine::run)) {
      List<CompletableFuture<float[]>> fs = new ArrayList<>(b.submitAll(List.of(0), CallBudget.NONE));
      assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue(); // item 0 runs alone, the engine is held
      for (int i = 1; i < 20; i++) {
        fs.addAll(b.submitAll(List.of(i), CallBudget.NONE));
      }
      engine.release.countDown();
      for (int i = 0; i < 20; i++) {
        assertThat(fs.get(i).get(10, TimeUnit.SECONDS)).containsExactly((float) i);
      }
      assertThat(engine.batches).extracting(List::size).containsExactly(1, 8, 8, 3);
      assertThat(engine.seen()).isEqualTo(java.util.stream.IntStream.range(0, 20).boxed().toList());
      assertThat(b.itemsRun()).isEqualTo(20);
    }
  }

  @Test
  void an_idle_engine_runs_a_lone_item_at_once_without_waiting_for_company() throws Exception {
    RecordingEngine engine = new RecordingEngine(false);
    // a batch wait of an hour: an item that waited for company would never be answered within the test
    DynamicBatcher.Settings hour = new DynamicBatcher.Settings(8, TimeUnit.HOURS.toNanos(1), 100, 1);
    try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", hour, engine::run)) {
      for (int i = 0; i < 3; i++) {
        assertThat(b.submitAll(List.of(i), CallBudget.NONE).get(0).get(10, TimeUnit.SECONDS)).containsExactly((float) i);
      }
      assertThat(engine.batches).extracting(List::size).containsExactly(1, 1, 1);
    }
  }

  @Test
  void with_two_workers_one_collects_company_while_the_other_runs_the_engine() throws Exception {
    CountDownLatch firstIn = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
    java.util.function.Function<List<Integer>, float[][]> engine = batch -> {
      sizes.add(batch.size());
      if (batch.contains(0)) {
        firstIn.countDown();
        try {
          releaseFirst.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return batch.stream().map(i -> new float[] {i}).toArray(float[][]::new);
    };
    DynamicBatcher.Settings two = new DynamicBatcher.Settings(4, TimeUnit.SECONDS.toNanos(2), 100, 2);
    try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", two, engine)) {
      CompletableFuture<float[]> first = b.submitAll(List.of(0), CallBudget.NONE).get(0);
      assertThat(firstIn.await(10, TimeUnit.SECONDS)).isTrue();
      List<CompletableFuture<float[]>> rest = new ArrayList<>();
      for (int i = 1; i <= 4; i++) { // one at a time: the free worker takes the first and waits for the others
        rest.addAll(b.submitAll(List.of(i), CallBudget.NONE));
        Thread.sleep(20);
      }
      for (CompletableFuture<float[]> f : rest) {
        f.get(10, TimeUnit.SECONDS);
      }
      releaseFirst.countDown();
      first.get(10, TimeUnit.SECONDS);
      assertThat(sizes).containsExactly(1, 4);
    }
  }

  @Test
  void a_full_queue_refuses_at_once_and_all_or_nothing() throws Exception {
    RecordingEngine engine = new RecordingEngine(true);
    try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", settings(1, 0, 3), engine::run)) {
      b.submitAll(List.of(0), CallBudget.NONE);
      assertThat(engine.entered.await(5, TimeUnit.SECONDS)).isTrue(); // item 0 is in the engine
      b.submitAll(List.of(1, 2), CallBudget.NONE); // 2 of 3 places
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> b.submitAll(List.of(3, 4), CallBudget.NONE)).isInstanceOf(Overloaded.class)
          .hasMessageContaining("queue is full");
      long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
      assertThat(micros).as("rejection is immediate").isLessThan(5_000_000);
      assertThatThrownBy(() -> b.submitAll(List.of(5, 6, 7, 8), CallBudget.NONE)).isInstanceOf(Overloaded.class)
          .hasMessageContaining("exceed the queue capacity of 3");
      b.submitAll(List.of(9), CallBudget.NONE); // the last place is still free: nothing was half-admitted
      engine.release.countDown();
    }
    assertThat(engine.seen()).containsExactly(0, 1, 2, 9);
  }

  @Test
  void expired_items_never_reach_the_engine() throws Exception {
    RecordingEngine engine = new RecordingEngine(true);
    try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", settings(4, 0, 10), engine::run)) {
      b.submitAll(List.of(0), CallBudget.NONE);
      assertThat(engine.entered.await(5, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<float[]> late = b.submitAll(List.of(1), CallBudget.inNanos(TimeUnit.MILLISECONDS.toNanos(20))).get(0);
      CompletableFuture<float[]> fine = b.submitAll(List.of(2), CallBudget.NONE).get(0);
      Thread.sleep(60);
      engine.release.countDown();
      assertThat(fine.get(5, TimeUnit.SECONDS)).containsExactly(2f);
      assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(DeadlineExceeded.class);
      assertThat(b.expiredDropped()).isEqualTo(1);
    }
    assertThat(engine.seen()).containsExactly(0, 2);
  }

  @Test
  void cancelled_items_free_their_place_at_once_and_are_not_run() throws Exception {
    RecordingEngine engine = new RecordingEngine(true);
    try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", settings(4, 0, 2), engine::run)) {
      b.submitAll(List.of(0), CallBudget.NONE);
      assertThat(engine.entered.await(5, TimeUnit.SECONDS)).isTrue();
      List<CompletableFuture<float[]>> two = b.submitAll(List.of(1, 2), CallBudget.NONE);
      assertThatThrownBy(() -> b.submitAll(List.of(3), CallBudget.NONE)).isInstanceOf(Overloaded.class);
      two.forEach(f -> f.cancel(false));
      assertThat(b.waiting()).isZero();
      b.submitAll(List.of(4, 5), CallBudget.NONE); // both places are free again
      engine.release.countDown();
    }
    assertThat(engine.seen()).containsExactly(0, 4, 5);
  }

  @Test
  void engine_failure_fails_the_batch_and_the_worker_survives() throws Exception {
    List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
    try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", settings(1, 0, 10), batch -> {
      if (batch.get(0) < 0) {
        throw new IllegalStateException("boom");
      }
      ran.addAll(batch);
      return new float[][] {{1f}};
    })) {
      CompletableFuture<float[]> bad = b.submitAll(List.of(-1), CallBudget.NONE).get(0);
      assertThatThrownBy(() -> bad.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("boom");
      assertThat(b.submitAll(List.of(1), CallBudget.NONE).get(0).get(5, TimeUnit.SECONDS)).containsExactly(1f);
    }
  }

  @Test
  void settings_reject_nonsense() {
    assertThatThrownBy(() -> new DynamicBatcher.Settings(0, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DynamicBatcher.Settings(1, -1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
