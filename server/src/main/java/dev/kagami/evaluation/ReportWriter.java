package dev.kagami.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Writes a report as JSON (the record, field for field) and as Markdown for people. */
public final class ReportWriter {

  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public String toJson(EvaluationReport r) throws IOException {
    return json.writeValueAsString(r);
  }

  public EvaluationReport fromJson(String s) throws IOException {
    return json.readValue(s, EvaluationReport.class);
  }

  /** Writes {@code base.json} and {@code base.md}. */
  public void write(EvaluationReport r, Path base, String command) throws IOException {
    Files.createDirectories(base.toAbsolutePath().getParent());
    Files.writeString(Path.of(base + ".json"), toJson(r) + "\n");
    Files.writeString(Path.of(base + ".md"), toMarkdown(r, command));
  }

  static String pct(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.2f", 100 * v);
  }

  static String num(Double v, String fmt) {
    return v == null ? "n/a" : String.format(Locale.ROOT, fmt, v);
  }

  public String toMarkdown(EvaluationReport r, String command) {
    StringBuilder b = new StringBuilder();
    b.append("# Evaluation: ").append(r.model()).append(" on ").append(r.dataset()).append(" (").append(r.split())
        .append(" split)\n\n");
    if (command != null) {
      b.append("Written by `").append(command).append("` on ").append(r.createdAt(), 0, 10)
          .append(". Nothing below is typed by hand.\n\n");
    }
    b.append("Model `").append(r.model()).append("` on ").append(r.engine()).append("; dataset `").append(r.dataset())
        .append("`, split `").append(r.split()).append("` (seed ").append(r.seed()).append("): ").append(r.images())
        .append(" images, ").append(r.classes()).append(" classes; zero-shot templates: ").append(r.templates())
        .append(". KPIs in percent.\n\n");
    EvaluationReport.Summary s = r.summary();
    b.append("| KPI | value |\n|---|---|\n");
    b.append("| I2I mAP (full ranking) | ").append(pct(s.i2iMap())).append(" |\n");
    b.append("| I2I mAP@R | ").append(pct(s.i2iMapAtR())).append(" |\n");
    b.append("| I2I R@1 | ").append(pct(s.i2iRecallAt1())).append(" |\n");
    b.append("| k-NN accuracy (k=21, exp(sim/0.1) votes) | ").append(pct(s.knnAccuracy())).append(" |\n");
    b.append("| zero-shot accuracy | ").append(pct(s.zeroShotAccuracy())).append(" |\n");
    b.append("| T2I R@1 / R@5 / R@10 (").append(s.t2iQueries()).append(" captions) | ").append(pct(s.t2iRecallAt1()))
        .append(" / ").append(pct(s.t2iRecallAt5())).append(" / ").append(pct(s.t2iRecallAt10())).append(" |\n\n");
    EvaluationReport.Operations o = r.operations();
    b.append("## Operations\n\n| figure | value |\n|---|---|\n");
    b.append("| images embedded now / from cache | ").append(o.embeddedImages()).append(" / ").append(o.cachedImages()).append(" |\n");
    b.append("| embedding throughput | ").append(num(o.imagesPerSecond(), "%.1f")).append(" images/s |\n");
    b.append("| latency of one ").append(o.imagesPerCall()).append("-image call, p50 / p99 | ")
        .append(num(o.callLatencyP50Ms(), "%.1f")).append(" / ").append(num(o.callLatencyP99Ms(), "%.1f")).append(" ms |\n");
    b.append("| bytes per stored embedding (float32) | ").append(o.bytesPerEmbedding()).append(" |\n");
    b.append("| time embedding / computing metrics | ").append(String.format(Locale.ROOT, "%.1f s / %.1f s", o.embedSeconds(),
        o.metricSeconds())).append(" |\n\n");
    ScoreCalibration.Calibration cal = r.calibration();
    if (cal != null) {
      b.append(String.format(Locale.ROOT, "## Relevance thresholds\n\nThe cosine at or above which a hit is of the query's class "
          + "with precision %.2f on this split, and the share of same-class pairs it keeps (Search's `relevant` flag and "
          + "`relevant_only`; docs/calibration.md).%n%n| queries | threshold | recall |%n|---|---|---|%n", cal.precision()));
      b.append("| image (and stored item, vector) | ").append(cal.imageQueries() == null ? "none reaches the precision"
          : String.format(Locale.ROOT, "%.4f | %s", cal.imageQueries().score(), pct(cal.imageQueries().recall()))).append(" |\n");
      b.append("| text | ").append(cal.textQueries() == null ? "none (no captions, or the precision is not reached)"
          : String.format(Locale.ROOT, "%.4f | %s", cal.textQueries().score(), pct(cal.textQueries().recall()))).append(" |\n\n");
    }
    b.append("## Per class\n\n| class | images | I2I mAP | I2I R@1 | k-NN | zero-shot | T2I R@5 |\n|---|---|---|---|---|---|---|\n");
    for (EvaluationReport.ClassRow c : r.perClass()) {
      b.append("| ").append(c.label().replace("|", "\\|")).append(" | ").append(c.images()).append(" | ")
          .append(pct(c.i2iMap())).append(" | ").append(pct(c.i2iRecallAt1())).append(" | ").append(pct(c.knnAccuracy()))
          .append(" | ").append(pct(c.zeroShotAccuracy())).append(" | ").append(pct(c.t2iRecallAt5())).append(" |\n");
    }
    if (!r.notes().isEmpty()) {
      b.append("\n## Notes\n\n");
      r.notes().forEach(n -> b.append("- ").append(n).append('\n'));
    }
    return b.toString();
  }
}
