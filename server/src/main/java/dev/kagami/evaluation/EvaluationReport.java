package dev.kagami.evaluation;

import java.util.List;

/**
 * Everything one evaluation measured. Values that were not measured (a KPI not asked for, T2I on a dataset
 * without captions) are null.
 */
public record EvaluationReport(
    String id,
    String createdAt,
    String model,
    String engine,
    String dataset,
    String split,
    long seed,
    int images,
    int classes,
    String templates,
    Summary summary,
    List<ClassRow> perClass,
    Operations operations,
    List<String> notes,
    ScoreCalibration.Calibration calibration) {

  /** A report without relevance thresholds (as reports were stored before they existed). */
  public EvaluationReport(String id, String createdAt, String model, String engine, String dataset, String split, long seed,
      int images, int classes, String templates, Summary summary, List<ClassRow> perClass, Operations operations,
      List<String> notes) {
    this(id, createdAt, model, engine, dataset, split, seed, images, classes, templates, summary, perClass, operations, notes, null);
  }

  /** The headline KPIs, each in [0, 1]. */
  public record Summary(Double i2iMap, Double i2iMapAtR, Double i2iRecallAt1, Double knnAccuracy, Double zeroShotAccuracy,
      Double t2iRecallAt1, Double t2iRecallAt5, Double t2iRecallAt10, int t2iQueries) {}

  /** One class's KPIs; {@code images} is its number of images in the evaluated split. */
  public record ClassRow(String label, int images, Double i2iMap, Double i2iRecallAt1, Double knnAccuracy,
      Double zeroShotAccuracy, Double t2iRecallAt5) {}

  /**
   * Operational figures of the run: images embedded now and taken from the cache, embedding throughput
   * and per-call latency of the calls made now, storage per embedding, and where the time went.
   */
  public record Operations(long embeddedImages, long cachedImages, Double imagesPerSecond, Double callLatencyP50Ms,
      Double callLatencyP99Ms, int imagesPerCall, int bytesPerEmbedding, double embedSeconds, double metricSeconds) {}
}
