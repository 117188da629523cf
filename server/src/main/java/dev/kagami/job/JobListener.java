package dev.kagami.job;

/**
 * Receives a job's snapshots: the job as it is when the watch starts, then after every change; the last one
 * has an ended state. A listener that throws is logged and removed.
 */
@FunctionalInterface
public interface JobListener {
  void onUpdate(Job job);
}
