package dev.kagami.job;

/** A job's life: QUEUED → RUNNING → one of the three ended states (or QUEUED → CANCELLED). */
public enum JobState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean ended() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
