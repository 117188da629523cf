package dev.kagami.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CallStatsTest {

  final AtomicLong now = new AtomicLong(TimeUnit.SECONDS.toNanos(1000));
  final CallStats stats = new CallStats(now::get);

  private void advanceSeconds(long s) {
    now.addAndGet(TimeUnit.SECONDS.toNanos(s));
  }

  @Test
  void counts_calls_per_second_and_percentiles_within_the_bucket_error() {
    for (int i = 1; i <= 100; i++) {
      stats.ended(TimeUnit.MILLISECONDS.toNanos(i), i != 7);
    }
    stats.refused();
    CallStats.Snapshot s = stats.snapshot(10);
    assertThat(s.calls()).isEqualTo(100);
    assertThat(s.callsPerSecond()).isEqualTo(10.0);
    assertThat(s.failed()).isEqualTo(1);
    assertThat(s.refused()).isEqualTo(1);
    // the upper edge of the bucket holding the true value: at most 12% above it
    assertThat(s.p50Ms()).isBetween(50.0, 50.0 * CallStats.GROWTH);
    assertThat(s.p99Ms()).isBetween(99.0, 99.0 * CallStats.GROWTH);
  }

  @Test
  void forgets_what_left_the_window_and_reuses_slots_a_minute_later() {
    stats.ended(TimeUnit.MILLISECONDS.toNanos(5), true);
    advanceSeconds(5);
    stats.ended(TimeUnit.MILLISECONDS.toNanos(500), true);
    assertThat(stats.snapshot(3).calls()).isEqualTo(1);
    assertThat(stats.snapshot(3).p50Ms()).isGreaterThan(400);
    assertThat(stats.snapshot(60).calls()).isEqualTo(2);
    advanceSeconds(CallStats.SECONDS); // the same slots again, a minute later
    assertThat(stats.snapshot(60).calls()).isZero();
    assertThat(stats.snapshot(60).p50Ms()).isNull();
    stats.ended(TimeUnit.MILLISECONDS.toNanos(1), true);
    assertThat(stats.snapshot(60).calls()).isEqualTo(1);
  }

  @Test
  void clamps_extreme_latencies_into_the_first_and_last_buckets() {
    assertThat(CallStats.bucket(0)).isZero();
    assertThat(CallStats.bucket(TimeUnit.HOURS.toNanos(1))).isEqualTo(CallStats.BUCKETS - 1);
    assertThat(CallStats.upperEdgeMs(CallStats.BUCKETS - 1)).isGreaterThan(60_000);
  }
}
