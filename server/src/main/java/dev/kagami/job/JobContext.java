package dev.kagami.job;

/**
 * What a running job's work sees: where to report progress, and whether it should stop. {@link #progress}
 * throws {@link dev.kagami.error.KagamiException.Cancelled} once the job is cancelled, so work that reports
 * progress stops at its next report.
 */
public interface JobContext {

  JobId id();

  /** Reports progress; throws {@code Cancelled} when the job was cancelled. */
  void progress(String stage, long done, long total);

  boolean cancelled();
}
