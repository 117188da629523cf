package dev.kagami.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Parallel loops: every index exactly once, on the caller and the pool's named threads, failures rethrown. */
class ParallelTest {

  final Parallel parallel = new ThreadPools().parallel("test-loop", 3);

  @Test
  void every_index_runs_exactly_once_for_any_length() {
    SplittableRandom r = new SplittableRandom(Long.getLong("kagami.test.seed", 11L));
    for (int round = 0; round < 50; round++) {
      int n = round < 5 ? round : r.nextInt(1, 5000);
      AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
      parallel.forEach(n, i -> hits.incrementAndGet(i));
      for (int i = 0; i < n; i++) {
        assertThat(hits.get(i)).as("n=%d index %d", n, i).isEqualTo(1);
      }
    }
  }

  @Test
  void work_runs_on_the_caller_and_named_pool_threads_never_the_common_pool() {
    Set<String> threads = ConcurrentHashMap.newKeySet();
    parallel.forEach(3000, i -> threads.add(Thread.currentThread().getName()));
    assertThat(threads).contains(Thread.currentThread().getName());
    assertThat(threads).anyMatch(t -> t.startsWith("kagami-test-loop-"));
    assertThat(threads).noneMatch(t -> t.contains("ForkJoinPool"));
  }

  @Test
  void a_failure_in_any_chunk_is_rethrown() {
    assertThatThrownBy(() -> parallel.forEach(1000, i -> {
      if (i == 10) {
        throw new IllegalArgumentException("bad item 10");
      }
    })).isInstanceOf(IllegalArgumentException.class).hasMessage("bad item 10");
    assertThatThrownBy(() -> Parallel.SEQUENTIAL.forEach(3, i -> {
      throw new IllegalStateException("x");
    })).isInstanceOf(IllegalStateException.class);
  }
}
