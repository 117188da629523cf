package dev.kagami.evaluation;

import dev.kagami.registry.GateVerdict;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One PoC on one page: a fine-tuning run, its before and after evaluations on the same data, the promotion
 * gate's verdict on them, the KPI changes with their uncertainty, the classes that got worse, what it costs to
 * run, and where each evaluated version stands on the image-to-image vs text-to-image trade-off.
 */
public record PocReport(
    String runId,
    Instant createdAt,
    String method,
    String baseModel,
    String tunedModel,
    Recommendation recommendation,
    GateVerdict verdict,
    List<KpiChange> kpis,
    List<ClassChange> worseClasses,
    Costs costs,
    Data data,
    List<TradeoffPoint> tradeoff,
    String baseReportId,
    String tunedReportId) {

  public enum Recommendation { PROMOTE, KEEP_CURRENT }

  /** One KPI before and after; low/high bound the 95% interval of the change (null where no per-class values exist). */
  public record KpiChange(String kpi, Double before, Double after, Double change, Double low, Double high) {}

  /** A class whose image-to-image AP dropped, worst first. */
  public record ClassChange(String label, int images, Double before, Double after, double change) {}

  /**
   * What the tuned version costs: training time by stage (seconds), package size, embedding latency and
   * throughput as measured by the evaluations (before and after), and bytes per stored embedding.
   */
  public record Costs(double trainingSeconds, Map<String, Double> stageSeconds, long baseModelBytes, long tunedModelBytes,
      Double beforeLatencyP50Ms, Double afterLatencyP50Ms, Double beforeLatencyP99Ms, Double afterLatencyP99Ms,
      Double beforeImagesPerSecond, Double afterImagesPerSecond, int bytesPerEmbedding) {}

  /** The data both evaluations were measured on. */
  public record Data(String dataset, String split, int images, int classes, long seed, String templates, int t2iQueries) {}

  /** One evaluated version on the dataset and split: its image-to-image mAP and text-to-image recall@5. */
  public record TradeoffPoint(String model, String reportId, Double i2iMap, Double t2iRecallAt5) {}
}
