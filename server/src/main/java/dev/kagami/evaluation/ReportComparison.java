package dev.kagami.evaluation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Two reports side by side: per KPI and per class, the value before, after, and the change, so a class
 * that got worse is visible. Reports of different datasets or splits are refused: their numbers are not
 * comparable.
 */
public record ReportComparison(String before, String after, List<Delta> kpis, List<ClassDelta> classes) {

  /** One KPI before and after; null where either side did not measure it. */
  public record Delta(String kpi, Double before, Double after) {
    @com.fasterxml.jackson.annotation.JsonProperty("change")
    public Double change() {
      return before == null || after == null ? null : after - before;
    }
  }

  /** One class's KPIs before and after. */
  public record ClassDelta(String label, List<Delta> kpis) {
    /** The largest drop of any KPI of this class (0 when none dropped). */
    @com.fasterxml.jackson.annotation.JsonProperty("worstDrop")
    public double worstDrop() {
      return kpis.stream().map(Delta::change).filter(c -> c != null && c < 0).mapToDouble(c -> c).min().orElse(0);
    }
  }

  public static ReportComparison of(EvaluationReport a, EvaluationReport b) {
    if (!a.dataset().equals(b.dataset()) || !a.split().equals(b.split()) || a.seed() != b.seed()) {
      throw new dev.kagami.error.KagamiException.FailedPrecondition("reports are not comparable: " + a.dataset() + "/"
          + a.split() + " seed " + a.seed() + " vs " + b.dataset() + "/" + b.split() + " seed " + b.seed());
    }
    Map<String, Function<EvaluationReport.Summary, Double>> kpis = new LinkedHashMap<>();
    kpis.put("I2I mAP", EvaluationReport.Summary::i2iMap);
    kpis.put("I2I mAP@R", EvaluationReport.Summary::i2iMapAtR);
    kpis.put("I2I R@1", EvaluationReport.Summary::i2iRecallAt1);
    kpis.put("k-NN", EvaluationReport.Summary::knnAccuracy);
    kpis.put("zero-shot", EvaluationReport.Summary::zeroShotAccuracy);
    kpis.put("T2I R@1", EvaluationReport.Summary::t2iRecallAt1);
    kpis.put("T2I R@5", EvaluationReport.Summary::t2iRecallAt5);
    kpis.put("T2I R@10", EvaluationReport.Summary::t2iRecallAt10);
    List<Delta> top = new ArrayList<>();
    kpis.forEach((name, f) -> top.add(new Delta(name, f.apply(a.summary()), f.apply(b.summary()))));

    Map<String, Function<EvaluationReport.ClassRow, Double>> perClass = new LinkedHashMap<>();
    perClass.put("I2I mAP", EvaluationReport.ClassRow::i2iMap);
    perClass.put("I2I R@1", EvaluationReport.ClassRow::i2iRecallAt1);
    perClass.put("k-NN", EvaluationReport.ClassRow::knnAccuracy);
    perClass.put("zero-shot", EvaluationReport.ClassRow::zeroShotAccuracy);
    perClass.put("T2I R@5", EvaluationReport.ClassRow::t2iRecallAt5);
    Map<String, EvaluationReport.ClassRow> after = new LinkedHashMap<>();
    b.perClass().forEach(r -> after.put(r.label(), r));
    List<ClassDelta> classes = new ArrayList<>();
    for (EvaluationReport.ClassRow r : a.perClass()) {
      EvaluationReport.ClassRow s = after.get(r.label());
      List<Delta> d = new ArrayList<>();
      perClass.forEach((name, f) -> d.add(new Delta(name, f.apply(r), s == null ? null : f.apply(s))));
      classes.add(new ClassDelta(r.label(), d));
    }
    return new ReportComparison(a.model(), b.model(), top, classes);
  }

  /** Markdown: the KPI table, then the classes, worst drop first. */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("| KPI | ").append(before).append(" | ").append(after).append(" | change |\n|---|---|---|---|\n");
    for (Delta d : kpis) {
      sb.append("| ").append(d.kpi()).append(" | ").append(ReportWriter.pct(d.before())).append(" | ")
          .append(ReportWriter.pct(d.after())).append(" | ").append(signed(d.change())).append(" |\n");
    }
    sb.append("\n| class | worst drop | ");
    List<String> names = classes.isEmpty() ? List.of() : classes.get(0).kpis().stream().map(Delta::kpi).toList();
    names.forEach(n -> sb.append(n).append(" change | "));
    sb.append("\n|---|---|").append("---|".repeat(names.size())).append('\n');
    classes.stream().sorted(java.util.Comparator.comparingDouble(ClassDelta::worstDrop)).forEach(c -> {
      sb.append("| ").append(c.label()).append(" | ").append(signed(c.worstDrop())).append(" | ");
      c.kpis().forEach(d -> sb.append(signed(d.change())).append(" | "));
      sb.append('\n');
    });
    return sb.toString();
  }

  private static String signed(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%+.2f", 100 * v);
  }
}
