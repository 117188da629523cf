package dev.kagami.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.evaluation.ClassBootstrap;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.PocReport;
import dev.kagami.evaluation.PromotionGate;
import dev.kagami.evaluation.ReportStore;
import dev.kagami.job.JobState;
import dev.kagami.model.ModelId;
import dev.kagami.persistence.StoredRun;
import dev.kagami.registry.GateVerdict;
import dev.kagami.registry.ModelAlias;
import dev.kagami.registry.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The PoC report of a fine-tuning run that succeeded: its before (base model) and after (tuned model)
 * evaluations, judged by the production alias's gate rules, with class-bootstrap intervals on each KPI
 * change, the classes whose image-to-image AP dropped, the run's costs and the trade-off of every version
 * evaluated on the same data.
 */
@ApplicationScoped
public class PocReportService {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final FineTuneService runs;
  private final ReportStore reports;
  private final ModelService models;
  private final dev.kagami.evaluation.PocPdf pdf;

  /** The languages a PoC report is written in; the first is the default. */
  public static final List<String> LANGUAGES = List.of("en", "ja");

  public PocReportService(FineTuneService runs, ReportStore reports, ModelService models,
      dev.kagami.config.KagamiConfig config) {
    this.runs = runs;
    this.reports = reports;
    this.models = models;
    this.pdf = new dev.kagami.evaluation.PocPdf(config.evaluation().reportFonts());
  }

  /** The report of {@code runId} as a PDF in {@code language} (en or ja; empty for en). */
  public byte[] pdf(String runId, String language) {
    String lang = language == null || language.isBlank() ? LANGUAGES.get(0) : language.toLowerCase(java.util.Locale.ROOT);
    if (!LANGUAGES.contains(lang)) {
      throw new dev.kagami.error.KagamiException.InvalidInput("lang must be one of " + LANGUAGES + ": '" + language + "'");
    }
    return pdf.render(report(runId), java.util.Locale.forLanguageTag(lang));
  }

  public PocReport report(String runId) {
    StoredRun run = runs.get(runId);
    if (run.state() != JobState.SUCCEEDED || run.baseReportId() == null || run.tunedReportId() == null) {
      throw new FailedPrecondition("run " + runId + " is " + run.state().name().toLowerCase(java.util.Locale.ROOT)
          + ": a PoC report needs a run that succeeded with its before and after evaluations");
    }
    EvaluationReport before = stored(run.baseReportId());
    EvaluationReport after = stored(run.tunedReportId());
    ModelVersion tuned = models.requireRegistered(ModelId.parse(run.resultModel()));
    ModelVersion base = models.requireRegistered(ModelId.parse(before.model()));
    GateVerdict verdict = PromotionGate.judge(models.gateRules(ModelAlias.PRODUCTION), before, after, tuned);
    return new PocReport(run.id(), Instant.now(), method(run), before.model(), after.model(),
        verdict.passed() ? PocReport.Recommendation.PROMOTE : PocReport.Recommendation.KEEP_CURRENT, verdict,
        kpis(before, after), worse(before, after), costs(run, base, tuned, before, after),
        new PocReport.Data(after.dataset(), after.split(), after.images(), after.classes(), after.seed(), after.templates(),
            after.summary().t2iQueries()),
        tradeoff(after), before.id(), after.id());
  }

  private EvaluationReport stored(String id) {
    return reports.get(id).orElseThrow(() -> new NotFound("no report '" + id + "'"));
  }

  private static String method(StoredRun run) {
    try {
      JsonNode m = JSON.readTree(run.config()).get("method");
      return m == null ? "" : m.asText();
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static List<PocReport.KpiChange> kpis(EvaluationReport b, EvaluationReport a) {
    List<PocReport.KpiChange> out = new ArrayList<>();
    out.add(change("I2I mAP", b.summary().i2iMap(), a.summary().i2iMap(), b, a, EvaluationReport.ClassRow::i2iMap));
    out.add(change("I2I R@1", b.summary().i2iRecallAt1(), a.summary().i2iRecallAt1(), b, a,
        EvaluationReport.ClassRow::i2iRecallAt1));
    out.add(change("k-NN", b.summary().knnAccuracy(), a.summary().knnAccuracy(), b, a, EvaluationReport.ClassRow::knnAccuracy));
    out.add(change("zero-shot", b.summary().zeroShotAccuracy(), a.summary().zeroShotAccuracy(), b, a,
        EvaluationReport.ClassRow::zeroShotAccuracy));
    out.add(change("T2I R@1", b.summary().t2iRecallAt1(), a.summary().t2iRecallAt1(), b, a, null));
    out.add(change("T2I R@5", b.summary().t2iRecallAt5(), a.summary().t2iRecallAt5(), b, a,
        EvaluationReport.ClassRow::t2iRecallAt5));
    out.add(change("T2I R@10", b.summary().t2iRecallAt10(), a.summary().t2iRecallAt10(), b, a, null));
    return out;
  }

  private static PocReport.KpiChange change(String name, Double before, Double after, EvaluationReport b, EvaluationReport a,
      Function<EvaluationReport.ClassRow, Double> perClass) {
    Double change = before == null || after == null ? null : after - before;
    ClassBootstrap.Interval ci = perClass == null || change == null ? null : ClassBootstrap.change(b, a, perClass);
    return new PocReport.KpiChange(name, before, after, change, ci == null ? null : ci.low(), ci == null ? null : ci.high());
  }

  private static List<PocReport.ClassChange> worse(EvaluationReport b, EvaluationReport a) {
    Map<String, EvaluationReport.ClassRow> before = new LinkedHashMap<>();
    b.perClass().forEach(r -> before.put(r.label(), r));
    List<PocReport.ClassChange> out = new ArrayList<>();
    for (EvaluationReport.ClassRow r : a.perClass()) {
      EvaluationReport.ClassRow o = before.get(r.label());
      if (o != null && o.i2iMap() != null && r.i2iMap() != null && r.i2iMap() < o.i2iMap()) {
        out.add(new PocReport.ClassChange(r.label(), r.images(), o.i2iMap(), r.i2iMap(), r.i2iMap() - o.i2iMap()));
      }
    }
    out.sort(java.util.Comparator.comparingDouble(PocReport.ClassChange::change));
    return out;
  }

  private static PocReport.Costs costs(StoredRun run, ModelVersion base, ModelVersion tuned, EvaluationReport b,
      EvaluationReport a) {
    double training = run.timings().values().stream().mapToDouble(Double::doubleValue).sum();
    return new PocReport.Costs(training, new LinkedHashMap<>(run.timings()), base.sizeBytes(), tuned.sizeBytes(),
        b.operations().callLatencyP50Ms(), a.operations().callLatencyP50Ms(), b.operations().callLatencyP99Ms(),
        a.operations().callLatencyP99Ms(), b.operations().imagesPerSecond(), a.operations().imagesPerSecond(),
        a.operations().bytesPerEmbedding());
  }

  /** The newest report of each model version on the same dataset, split and templates. */
  private List<PocReport.TradeoffPoint> tradeoff(EvaluationReport after) {
    Map<String, PocReport.TradeoffPoint> byModel = new LinkedHashMap<>();
    for (EvaluationReport r : reports.list(after.dataset(), null, 200)) {
      if (r.split().equals(after.split()) && java.util.Objects.equals(r.templates(), after.templates())
          && r.seed() == after.seed()) {
        byModel.putIfAbsent(r.model(), new PocReport.TradeoffPoint(r.model(), r.id(), r.summary().i2iMap(),
            r.summary().t2iRecallAt5()));
      }
    }
    return new ArrayList<>(byModel.values());
  }
}
