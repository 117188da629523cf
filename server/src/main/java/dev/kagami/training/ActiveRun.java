package dev.kagami.training;

import dev.kagami.persistence.RunRepository;
import dev.kagami.persistence.StoredRun;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** A run queued or running in this process: its cancel flag, latest state and watchers. */
final class ActiveRun {
  final String id;
  volatile boolean cancelled;
  volatile Runnable task;
  volatile StoredRun current;
  private final RunRepository runs;
  private final List<Consumer<RunManager.Update>> watchers = new CopyOnWriteArrayList<>();

  ActiveRun(StoredRun r, RunRepository runs) {
    this.id = r.id();
    this.current = r;
    this.runs = runs;
  }

  /** Applies {@code change}, stores it, and tells the watchers when {@code announce}. */
  synchronized void update(UnaryOperator<StoredRun> change, boolean announce) {
    current = change.apply(current);
    runs.update(current);
    if (announce) {
      StoredRun withHistory = RunManager.isEnded(current.state()) ? runs.get(id).orElse(current) : current;
      publish(new RunManager.Update.Snapshot(withHistory));
    }
  }

  synchronized void publish(RunManager.Update u) {
    for (Consumer<RunManager.Update> w : watchers) {
      try {
        w.accept(u);
      } catch (RuntimeException e) {
        watchers.remove(w); // a watcher that fails (its call ended) stops watching
      }
    }
  }

  synchronized Runnable subscribe(Consumer<RunManager.Update> w) {
    w.accept(new RunManager.Update.Snapshot(current));
    if (!RunManager.isEnded(current.state())) {
      watchers.add(w);
    }
    return () -> watchers.remove(w);
  }
}
