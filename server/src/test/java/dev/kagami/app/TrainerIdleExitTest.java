package dev.kagami.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TrainerIdleExitTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private final AtomicBoolean work = new AtomicBoolean();
  private final AtomicInteger exits = new AtomicInteger();

  private TrainerIdleExit exitAfter(Duration idle) {
    return new TrainerIdleExit(work::get, now::get, exits::incrementAndGet, idle, Duration.ofSeconds(5), null);
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void exits_once_after_the_idle_time_without_work_and_work_restarts_the_count() {
    TrainerIdleExit t = exitAfter(Duration.ofMinutes(2));
    assertThat(t.check()).isFalse(); // idle from now
    advance(Duration.ofSeconds(90));
    assertThat(t.check()).isFalse();
    work.set(true); // a run was queued: the idle time starts again once it is done
    advance(Duration.ofSeconds(60));
    assertThat(t.check()).isFalse();
    work.set(false);
    advance(Duration.ofSeconds(1));
    assertThat(t.check()).isFalse();
    advance(Duration.ofSeconds(119));
    assertThat(t.check()).isFalse();
    advance(Duration.ofSeconds(1));
    assertThat(t.check()).isTrue();
    advance(Duration.ofMinutes(5));
    assertThat(t.check()).isFalse();
    assertThat(exits).hasValue(1);
  }

  @Test
  void never_exits_when_unset_or_while_a_run_is_unfinished() {
    TrainerIdleExit off = exitAfter(null);
    advance(Duration.ofDays(1));
    assertThat(off.check()).isFalse();
    TrainerIdleExit busy = exitAfter(Duration.ofSeconds(10));
    work.set(true); // for example a run suspended by the last stop, RUNNING in the database
    for (int i = 0; i < 100; i++) {
      advance(Duration.ofMinutes(1));
      assertThat(busy.check()).isFalse();
    }
    assertThat(exits).hasValue(0);
  }
}
