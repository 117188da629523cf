package dev.kagami.training;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.ReportComparison;
import dev.kagami.model.ModelPackage;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's comparison as a Markdown page: base, GPR-FT, 2SFT, MCIP and MCIP + Re-A on one PoC test
 * split, and the paper's claims, each checked against the table (nothing in the verdicts is typed by hand).
 * Written by {@code kagami paper-table} ({@code bin/kagami-paper-table}).
 */
public final class PaperTable {

  private PaperTable() {}

  public static String label(RunSpec.Method m) {
    return switch (m) {
      case GPR_FT -> "GPR-FT";
      case TWO_SFT -> "2SFT";
      case MCIP -> "MCIP";
      case MCIP_REA -> "MCIP + Re-A";
    };
  }

  /** The Markdown page: the setup, the table, and the paper's claims checked against it (when every method ran). */
  public static String markdown(String invocation, ModelPackage base, Dataset poc, Map<String, Split> splits,
      Map<String, EvaluationReport> reports, Map<String, Double> minutes, Map<String, String> best, int epochs, int realignEpochs, double lr, double realignLr,
      RunSpec.Trainable tr, int lastBlocks, long seed) {
    StringBuilder s = new StringBuilder();
    boolean all = reports.keySet().containsAll(List.of("GPR-FT", "2SFT", "MCIP", "MCIP + Re-A"));
    s.append(all ? "# The paper's effect, reproduced by Kagami\n\n" : "# Fine-tuning PoC runs\n\n");
    s.append(String.format(Locale.ROOT, "Written by `%s` on %s. Nothing below is typed by hand: the "
        + "verdicts under \"What reproduced\" are computed from the table by the command.%n%n",
        invocation, LocalDate.now(ZoneOffset.UTC)));
    s.append(String.format(Locale.ROOT, "- Base model: `%s` (%s)%n", base.id(), base.manifest().description()));
    s.append(String.format(Locale.ROOT, "- PoC dataset: %s: %d images, %d classes; train %d, validation %d (checkpoint "
        + "selection), test %d (the table).%n", poc.source(), poc.items().size(), poc.classes().size(),
        Splits.select(poc, splits, Split.TRAIN).size(), Splits.select(poc, splits, Split.VALIDATION).size(),
        Splits.select(poc, splits, Split.TEST).size()));
    s.append(String.format(Locale.ROOT, "- Every run: %s%s trained, image stage %d epochs at lr %s (class proxies 100x), batch 32, "
        + "re-alignment %d epochs at lr %s, seed %d, validation once per epoch, early stopping after 3 validations without "
        + "improvement, best checkpoint by validation. MCIP captions: the file-name captions.%n%n", tr,
        tr == RunSpec.Trainable.LAST_BLOCKS ? " (" + lastBlocks + " blocks + projection)" : "", epochs, lr, realignEpochs,
        realignLr, seed));
    s.append("| Method | I2I mAP | I2I R@1 | k-NN acc | Zero-shot acc | T2I R@5 | classes worse than base (I2I mAP) | best step by validation | minutes |\n");
    s.append("|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
    EvaluationReport b = reports.get("base");
    for (Map.Entry<String, EvaluationReport> e : reports.entrySet()) {
      EvaluationReport.Summary x = e.getValue().summary();
      String worse = e.getKey().equals("base") ? "" : Long.toString(worseClasses(b, e.getValue()));
      String min = minutes.containsKey(e.getKey()) ? String.format(Locale.ROOT, "%.1f", minutes.get(e.getKey())) : "";
      s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", e.getKey(), f(x.i2iMap()),
          f(x.i2iRecallAt1()), f(x.knnAccuracy()), f(x.zeroShotAccuracy()), f(x.t2iRecallAt5()), worse,
          best.getOrDefault(e.getKey(), ""), min));
    }
    s.append("\nA best step of 0 means no step beat the starting weights on validation, so that stage handed on its "
        + "starting weights unchanged.\n");
    s.append("\nKPIs as in `docs/eval` (I2I mAP over the full ranking; k-NN with k = 21, votes exp(sim/0.1); zero-shot with "
        + "OpenAI's 80 templates; T2I one query per class from its prompts).\n\n");
    if (all) {
      s.append("## What reproduced\n\n");
      s.append(verdicts(reports));
    } else {
      s.append("Only some of the methods ran (`--methods`), so the paper's claims are not checked here.\n");
    }
    return s.toString();
  }

  private static long worseClasses(EvaluationReport base, EvaluationReport r) {
    ReportComparison c = ReportComparison.of(base, r);
    return c.classes().stream().filter(cd -> cd.kpis().stream()
        .anyMatch(d -> d.kpi().equals("I2I mAP") && d.change() != null && d.change() < -0.005)).count();
  }

  /**
   * The paper's claims, each checked against the table: GPR-FT raises image retrieval and breaks the text
   * side; re-alignment restores it; MCIP keeps the text side without re-alignment while raising retrieval.
   */
  static String verdicts(Map<String, EvaluationReport> r) {
    EvaluationReport.Summary base = r.get("base").summary();
    EvaluationReport.Summary gpr = r.get("GPR-FT").summary();
    EvaluationReport.Summary sft = r.get("2SFT").summary();
    EvaluationReport.Summary mcip = r.get("MCIP").summary();
    EvaluationReport.Summary rea = r.get("MCIP + Re-A").summary();
    List<String> out = new ArrayList<>();
    out.add(claim("GPR-FT improves image-to-image retrieval over the base", gpr.i2iMap() > base.i2iMap(),
        "I2I mAP " + f(base.i2iMap()) + " -> " + f(gpr.i2iMap())));
    out.add(claim("GPR-FT degrades the text side (zero-shot or T2I R@5 falls)",
        gpr.zeroShotAccuracy() < base.zeroShotAccuracy() || gpr.t2iRecallAt5() < base.t2iRecallAt5(),
        "zero-shot " + f(base.zeroShotAccuracy()) + " -> " + f(gpr.zeroShotAccuracy()) + ", T2I R@5 " + f(base.t2iRecallAt5())
            + " -> " + f(gpr.t2iRecallAt5())));
    out.add(claim("2SFT's re-alignment recovers the text side lost by GPR-FT",
        sft.zeroShotAccuracy() > gpr.zeroShotAccuracy() || sft.t2iRecallAt5() > gpr.t2iRecallAt5(),
        "zero-shot " + f(gpr.zeroShotAccuracy()) + " -> " + f(sft.zeroShotAccuracy()) + ", T2I R@5 " + f(gpr.t2iRecallAt5())
            + " -> " + f(sft.t2iRecallAt5())));
    out.add(claim("MCIP improves image-to-image retrieval over the base", mcip.i2iMap() > base.i2iMap(),
        "I2I mAP " + f(base.i2iMap()) + " -> " + f(mcip.i2iMap())));
    out.add(claim("MCIP keeps the text side better than GPR-FT without re-alignment",
        mcip.zeroShotAccuracy() + mcip.t2iRecallAt5() > gpr.zeroShotAccuracy() + gpr.t2iRecallAt5(),
        "zero-shot + T2I R@5: GPR-FT " + f(gpr.zeroShotAccuracy() + gpr.t2iRecallAt5()) + ", MCIP "
            + f(mcip.zeroShotAccuracy() + mcip.t2iRecallAt5())));
    out.add(claim("MCIP + Re-A is at least as good as MCIP on the text side",
        rea.zeroShotAccuracy() + rea.t2iRecallAt5() >= mcip.zeroShotAccuracy() + mcip.t2iRecallAt5(),
        "zero-shot + T2I R@5: MCIP " + f(mcip.zeroShotAccuracy() + mcip.t2iRecallAt5()) + ", MCIP + Re-A "
            + f(rea.zeroShotAccuracy() + rea.t2iRecallAt5())));
    return String.join("\n", out) + "\n";
  }

  private static String claim(String what, boolean held, String evidence) {
    return "- " + (held ? "Reproduced" : "**Not reproduced**") + ": " + what + " (" + evidence + ").";
  }

  private static String f(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
  }
}
