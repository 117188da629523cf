package dev.kagami.evaluation;

import java.util.Locale;

/**
 * A report as CSV (RFC 4180): one row for the whole split ({@code class} = {@code (all)}), then one row per
 * class; KPIs as fractions, an empty cell where a KPI was not measured.
 */
public final class ReportCsv {

  public static final String HEADER = "class,images,i2i_map,i2i_recall_at_1,knn_accuracy,zero_shot_accuracy,t2i_recall_at_5";

  private ReportCsv() {}

  public static String of(EvaluationReport r) {
    StringBuilder b = new StringBuilder(HEADER).append("\r\n");
    EvaluationReport.Summary s = r.summary();
    row(b, "(all)", r.images(), s.i2iMap(), s.i2iRecallAt1(), s.knnAccuracy(), s.zeroShotAccuracy(), s.t2iRecallAt5());
    for (EvaluationReport.ClassRow c : r.perClass()) {
      row(b, c.label(), c.images(), c.i2iMap(), c.i2iRecallAt1(), c.knnAccuracy(), c.zeroShotAccuracy(), c.t2iRecallAt5());
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String label, int images, Double... kpis) {
    b.append(quote(label)).append(',').append(images);
    for (Double k : kpis) {
      b.append(',');
      if (k != null) {
        b.append(String.format(Locale.ROOT, "%.6f", k));
      }
    }
    b.append("\r\n");
  }

  static String quote(String s) {
    boolean needs = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
        || (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0);
    String v = !s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 ? "'" + s : s; // no formulas when opened in a spreadsheet
    return needs ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
  }
}
