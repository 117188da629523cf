package dev.kagami.app;

import dev.kagami.job.Job;
import dev.kagami.job.JobId;
import dev.kagami.job.JobListener;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import org.jboss.logging.Logger;

/**
 * Who watches which job. Delivery runs on the job's thread, one snapshot at a time; a listener that throws is logged and removed
 * (it never stops the job or the other listeners), and after a job's ended snapshot its listeners are
 * dropped.
 */
final class JobWatchers {

  private static final Logger LOG = Logger.getLogger(JobWatchers.class);

  private final Map<JobId, Set<JobListener>> byJob = new ConcurrentHashMap<>();

  /**
   * Adds a listener and gives it the job's current snapshot first; under the same lock as {@link #publish},
   * so it never sees an older snapshot after a newer one. A job that has ended gets no listener.
   */
  synchronized AutoCloseable attach(JobId id, JobListener listener, java.util.function.Supplier<Job> current) {
    Job now = current.get();
    if (!now.state().ended()) {
      byJob.computeIfAbsent(id, k -> new CopyOnWriteArraySet<>()).add(listener);
    }
    deliver(id, listener, now);
    return () -> remove(id, listener);
  }

  void remove(JobId id, JobListener listener) {
    byJob.computeIfPresent(id, (k, set) -> {
      set.remove(listener);
      return set.isEmpty() ? null : set;
    });
  }

  synchronized void publish(Job job) {
    Set<JobListener> set = byJob.get(job.id());
    if (set != null) {
      for (JobListener l : set) {
        deliver(job.id(), l, job);
      }
    }
    if (job.state().ended()) {
      byJob.remove(job.id());
    }
  }

  /** Gives one listener one snapshot; a listener that throws is removed. */
  void deliver(JobId id, JobListener l, Job job) {
    try {
      l.onUpdate(job);
    } catch (RuntimeException e) {
      LOG.warnf("a watcher of job %s failed and was removed: %s", id, e.toString());
      remove(id, l);
    }
  }

  int count(JobId id) {
    Set<JobListener> set = byJob.get(id);
    return set == null ? 0 : set.size();
  }
}
