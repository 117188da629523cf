package dev.kagami.persistence;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuning run as stored: its configuration (JSON, owned by the training layer), state, progress,
 * outcome and the history of its validations.
 */
public record StoredRun(String id, Instant createdAt, Instant updatedAt, dev.kagami.job.JobState state, String config, long seed,
    String dataset, String baseModel, String stage, int step, int totalSteps, String resultModel, String baseReportId,
    String tunedReportId, String error, Map<String, Double> timings, List<Point> history) {

  public StoredRun {
    timings = Map.copyOf(timings);
    history = List.copyOf(history);
  }

  /** One validation of a stage (or the final test evaluation): when, at which step, the KPIs, and whether it was the best so far. */
  public record Point(Instant at, String stage, int step, Double loss, Map<String, Double> kpis, boolean best) {

    public Point {
      kpis = Map.copyOf(kpis);
    }
  }
}
