package dev.kagami.job;

/**
 * How far a job is: what it does now, items done of total (total 0 = not known yet), and the estimated
 * seconds left (negative = no estimate).
 */
public record JobProgress(String stage, long done, long total, double etaSeconds) {

  public static final JobProgress QUEUED = new JobProgress("queued", 0, 0, -1);

  public JobProgress {
    stage = stage == null ? "" : stage;
  }

  public double fraction() {
    return total <= 0 ? 0 : Math.min(1.0, (double) done / total);
  }
}
