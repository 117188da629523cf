package dev.kagami.evaluation;

import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.persistence.ReportRepository;
import dev.kagami.persistence.StoredReport;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Evaluation reports kept in the database: each as its JSON document ({@link ReportWriter}'s format). */
@ApplicationScoped
public class ReportStore {

  private final ReportRepository rows;
  private final ReportWriter codec = new ReportWriter();
  private final java.util.concurrent.atomic.AtomicLong saves = new java.util.concurrent.atomic.AtomicLong();

  public ReportStore(ReportRepository rows) {
    this.rows = rows;
  }

  public void save(EvaluationReport r) {
    String json;
    try {
      json = codec.toJson(r);
    } catch (IOException e) {
      throw new IllegalStateException("report " + r.id() + " cannot be written as JSON", e);
    }
    rows.save(new StoredReport(r.id(), Instant.parse(r.createdAt()), r.model(), r.dataset(), r.split(), json));
    saves.incrementAndGet();
  }

  /** How many reports this process has saved: a reader that caches what it read knows when to read again. */
  public long saves() {
    return saves.get();
  }

  public Optional<EvaluationReport> get(String id) {
    return rows.get(id).map(j -> decode(id, j));
  }

  /** Reports, newest first, optionally of one dataset and/or model (null for any). */
  public List<EvaluationReport> list(String dataset, String model, int limit) {
    List<EvaluationReport> out = new ArrayList<>();
    for (String j : rows.list(dataset, model, limit)) {
      out.add(decode("in the list", j));
    }
    return out;
  }

  /** The ids of the reports {@link #list} would return, without reading the reports. */
  public List<String> ids(String dataset, String model, int limit) {
    return rows.ids(dataset, model, limit);
  }

  private EvaluationReport decode(String id, String json) {
    try {
      return codec.fromJson(json);
    } catch (IOException e) {
      throw new BackendUnavailable("the stored report " + id + " cannot be read: " + e.getMessage(), e);
    }
  }
}
