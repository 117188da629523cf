package dev.kagami.training;

import dev.kagami.persistence.RunRepository;
import dev.kagami.persistence.StoredRun;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Watching a run that another process trains: its stored state, re-read at an interval, until it ends. */
final class StoredRunWatch {

  private StoredRunWatch() {}

  /** Sends {@code first}, then each changed state of the run, the last with an ended state; returns the stop. */
  static Runnable follow(RunRepository runs, ScheduledExecutorService scheduler, long everyMillis, StoredRun first,
      Consumer<RunManager.Update> watcher) {
    watcher.accept(new RunManager.Update.Snapshot(first));
    StoredRun[] last = {first};
    ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
    task[0] = scheduler.scheduleWithFixedDelay(() -> {
      try {
        StoredRun now = runs.get(first.id()).orElse(last[0]);
        if (!now.updatedAt().equals(last[0].updatedAt()) || now.state() != last[0].state()) {
          last[0] = now;
          watcher.accept(new RunManager.Update.Snapshot(now));
        }
        if (RunManager.isEnded(now.state())) {
          task[0].cancel(false);
        }
      } catch (RuntimeException e) {
        task[0].cancel(false); // the watcher's call ended, or the database is gone
      }
    }, everyMillis, everyMillis, TimeUnit.MILLISECONDS);
    return () -> task[0].cancel(false);
  }
}
