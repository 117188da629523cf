package dev.kagami.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServiceTimeTest {

  @Test
  void learns_from_the_warm_up_then_follows_changes_but_not_single_outliers() {
    ServiceTime t = new ServiceTime();
    for (int i = 0; i < ServiceTime.WARMUP - 1; i++) {
      t.add(i == 0 ? 500_000_000 : 10_000_000, 1); // a cold first call
      assertThat(t.nanosPerItem()).isZero();
    }
    t.add(20_000_000, 2); // 10 ms per item
    assertThat(t.nanosPerItem()).isEqualTo(10_000_000);
    t.add(2_000_000_000L, 1); // a 2 s pause counts as twice the estimate
    assertThat(t.nanosPerItem()).isEqualTo(12_000_000);
    for (int i = 0; i < 40; i++) {
      t.add(40_000_000, 1); // the stage really became 4x slower
    }
    assertThat(t.nanosPerItem()).isBetween(39_000_000.0, 40_000_000.0);
  }
}
