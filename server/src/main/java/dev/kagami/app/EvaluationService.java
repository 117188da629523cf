package dev.kagami.app;

import dev.kagami.dataset.Split;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.evaluation.Classification;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.ReportStore;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.evaluation.PromptTemplates;
import dev.kagami.evaluation.ReportComparison;
import dev.kagami.job.Job;
import dev.kagami.job.JobKind;
import dev.kagami.model.ModelId;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.training.Evaluations;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/** Evaluations: start (a job), list and get reports, compare two. Evaluation defaults are declared here. */
@ApplicationScoped
public class EvaluationService {

  public static final Split DEFAULT_SPLIT = Split.TEST;
  public static final String DEFAULT_TEMPLATES = "openai-imagenet";
  /** Images per call to the image tower. */
  public static final int IMAGES_PER_CALL = 32;
  public static final int DEFAULT_LIST_LIMIT = 50;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** What an evaluation job keeps as its result. */
  public record EvaluationResult(String reportId, String model, String dataset, String split, int images) {}

  private final ModelRegistry models;
  private final DatasetRepository datasets;
  private final ReportStore reports;
  private final JobService jobs;
  private final Evaluations evaluations;

  public EvaluationService(ModelRegistry models, DatasetRepository datasets, ReportStore reports, JobService jobs,
      Evaluations evaluations) {
    this.models = models;
    this.datasets = datasets;
    this.reports = reports;
    this.jobs = jobs;
    this.evaluations = evaluations;
  }

  /** Checks the command (model loaded, dataset known, split and templates valid) and starts the job. */
  public Job start(EvaluateCommand cmd) {
    ModelRuntime model = resolve(cmd.model());
    if (cmd.dataset() == null || cmd.dataset().isBlank()) {
      throw new InvalidInput("dataset is required");
    }
    StoredDataset d = datasets.find(cmd.dataset()).orElseThrow(() -> new NotFound("no dataset named '" + cmd.dataset() + "'"));
    Split split = parseSplit(cmd.split());
    String templates = cmd.templates() == null || cmd.templates().isBlank() ? DEFAULT_TEMPLATES : cmd.templates();
    List<String> templateList = PromptTemplates.named(templates);
    EnumSet<Evaluator.Kpi> kpis = cmd.kpis() == null || cmd.kpis().isEmpty() ? EnumSet.allOf(Evaluator.Kpi.class)
        : EnumSet.copyOf(cmd.kpis());
    double precision = cmd.calibrationPrecision() == null || cmd.calibrationPrecision() == 0
        ? dev.kagami.evaluation.ScoreCalibration.DEFAULT_PRECISION : cmd.calibrationPrecision();
    Evaluator.Options options = new Evaluator.Options(kpis, templateList, templates, Classification.DEFAULT_K,
        Classification.DEFAULT_TEMPERATURE, IMAGES_PER_CALL, precision);
    EvaluateCommand effective = new EvaluateCommand(new ModelId(model.name(), model.version()), d.dataset().name(),
        split.name().toLowerCase(Locale.ROOT), kpis, templates, precision);
    return jobs.submit(JobKind.EVALUATION, effective, ctx -> {
      EvaluationReport r;
      // held for the evaluation: a swap or an unload meanwhile closes it only after the evaluation ends
      try (ModelRegistry.Lease lease = models.lease(model.name(), model.version())) {
        r = evaluations.evaluate(lease.runtime(), d, split, options, ctx::progress);
      }
      return new EvaluationResult(r.id(), r.model(), r.dataset(), r.split(), r.images());
    });
  }

  private ModelRuntime resolve(ModelId model) {
    return model == null ? models.resolve("", "") : models.resolve(model.name(), model.version());
  }

  /** The stored report of an evaluation job that succeeded. */
  public static String reportId(Job job) {
    try {
      return JSON.readValue(job.result(), EvaluationResult.class).reportId();
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException("job " + job.id() + " holds no evaluation result", e);
    }
  }

  static Split parseSplit(String s) {
    if (s == null || s.isEmpty()) {
      return DEFAULT_SPLIT;
    }
    try {
      return Split.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInput("split must be train, validation or test: '" + s + "'");
    }
  }

  /** Reports, newest first; dataset and model filter when not null or empty; limit 0 = the default. */
  public List<EvaluationReport> list(String dataset, String model, int limit) {
    if (limit < 0) {
      throw new InvalidInput("limit must be 0 (default " + DEFAULT_LIST_LIMIT + ") or more, is " + limit);
    }
    return reports.list(blankToNull(dataset), blankToNull(model), limit == 0 ? DEFAULT_LIST_LIMIT : limit);
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  public EvaluationReport report(String id) {
    return reports.get(id).orElseThrow(() -> new NotFound("no report with id '" + id + "'"));
  }

  public ReportComparison compare(String beforeId, String afterId) {
    return ReportComparison.of(report(beforeId), report(afterId));
  }
}
