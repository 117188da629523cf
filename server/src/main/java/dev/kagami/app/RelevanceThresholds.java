package dev.kagami.app;

import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.ReportStore;
import dev.kagami.evaluation.ScoreCalibration;
import dev.kagami.model.ModelId;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each model version's relevance thresholds, kept with the version by its evaluation reports: the newest
 * stored report of the version that has them (see {@link ScoreCalibration}) is the version's calibration.
 * Looked up again when this process saves a report, and otherwise at most every {@link #REFRESH_NANOS} per
 * version (for reports other replicas save), so a search does not read the database.
 */
@ApplicationScoped
public class RelevanceThresholds {

  static final long REFRESH_NANOS = 10_000_000_000L;
  /** Reports of a version looked at for one with thresholds, newest first. */
  static final int LOOK_BACK = 20;

  private record Cached(Optional<Calibrated> value, long at, long saves) {}

  /** A version's calibration and the report it came from. */
  public record Calibrated(ScoreCalibration.Calibration calibration, String reportId, String dataset, String split) {}

  private final ReportStore reports;
  private final Map<ModelId, Cached> cache = new ConcurrentHashMap<>();

  public RelevanceThresholds(ReportStore reports) {
    this.reports = reports;
  }

  public Optional<Calibrated> of(ModelId model) {
    long now = System.nanoTime();
    long saves = reports.saves();
    Cached c = cache.get(model);
    if (c == null || now - c.at() > REFRESH_NANOS || c.saves() != saves) {
      c = new Cached(lookUp(model), now, saves);
      cache.put(model, c);
    }
    return c.value();
  }

  /**
   * The version's threshold for a kind of query: text queries use the text-to-image one; image, stored-item and
   * vector queries the image-to-image one (a stored item is an image embedding, a vector is taken as one).
   * Null when the version has none.
   */
  public Double forQuery(ModelId model, boolean textQuery) {
    return of(model).map(c -> textQuery ? c.calibration().textQueries() : c.calibration().imageQueries())
        .map(ScoreCalibration.Threshold::score).orElse(null);
  }

  private Optional<Calibrated> lookUp(ModelId model) {
    for (EvaluationReport r : reports.list(null, model.toString(), LOOK_BACK)) {
      if (r.calibration() != null) {
        return Optional.of(new Calibrated(r.calibration(), r.id(), r.dataset(), r.split()));
      }
    }
    return Optional.empty();
  }
}
