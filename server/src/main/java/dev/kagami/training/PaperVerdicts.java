package dev.kagami.training;

import dev.kagami.evaluation.ClassBootstrap;
import dev.kagami.evaluation.EvaluationReport;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The paper's claims, each checked against the runs: GPR-FT raises image retrieval and weakens the text
 * side; 2SFT's re-alignment restores it; MCIP keeps it without re-alignment while raising retrieval; Re-A
 * after MCIP does not hurt. A claim is "reproduced" when its paired 95% class-bootstrap interval (per query,
 * over seeds) lies on the claimed side of 0, "direction only" when the mean does but the interval includes 0,
 * and "not reproduced" otherwise. The text side is zero-shot accuracy and, where the test images have
 * captions, T2I R@5: a claim about it holds on either.
 */
final class PaperVerdicts {

  private PaperVerdicts() {}

  private enum Outcome { REPRODUCED, DIRECTION, NOT }

  private record Check(Outcome outcome, String evidence) {}

  static String verdicts(EvaluationReport base, List<PaperTable.MethodRuns> runs) {
    Map<String, List<EvaluationReport>> r = runs.stream().collect(Collectors.toMap(PaperTable.MethodRuns::label,
        PaperTable.MethodRuns::reports));
    List<EvaluationReport> b = Collections.nCopies(r.get("GPR-FT").size(), base);
    List<String> out = new ArrayList<>();
    out.add(claim("GPR-FT improves image-to-image retrieval over the base", up(b, r.get("GPR-FT"), EvaluationReport.ClassRow::i2iMap,
        "I2I mAP")));
    out.add(claim("GPR-FT weakens the text side", textSide(b, r.get("GPR-FT"), -1)));
    out.add(claim("2SFT's re-alignment recovers text-side accuracy lost by GPR-FT", textSide(r.get("GPR-FT"), r.get("2SFT"), 1)));
    out.add(claim("MCIP improves image-to-image retrieval over the base", up(b, r.get("MCIP"), EvaluationReport.ClassRow::i2iMap,
        "I2I mAP")));
    out.add(claim("MCIP keeps the text side better than GPR-FT, without re-alignment", textSide(r.get("GPR-FT"), r.get("MCIP"), 1)));
    Check rea = textSide(r.get("MCIP"), r.get("MCIP + Re-A"), -1);
    // "at least as good": reproduced unless the text side is shown to fall
    out.add(claim("MCIP + Re-A is at least as good as MCIP on the text side", new Check(rea.outcome() == Outcome.REPRODUCED
        ? Outcome.NOT : Outcome.REPRODUCED, rea.evidence())));
    return String.join("\n", out) + "\n";
  }

  private static Check up(List<EvaluationReport> before, List<EvaluationReport> after, Function<EvaluationReport.ClassRow, Double> kpi,
      String name) {
    return directed(before, after, kpi, name, 1);
  }

  /** {@code sign} 1: the claim is that the KPI rises; -1: that it falls. */
  private static Check directed(List<EvaluationReport> before, List<EvaluationReport> after,
      Function<EvaluationReport.ClassRow, Double> kpi, String name, int sign) {
    ClassBootstrap.Interval i = ClassBootstrap.pairedChange(before, after, kpi, false);
    if (i == null) {
      return new Check(Outcome.NOT, name + " not measured");
    }
    boolean whole = sign > 0 ? i.low() > 0 : i.high() < 0; // the whole interval on the claimed side
    Outcome o = whole ? Outcome.REPRODUCED : sign * i.change() > 0 ? Outcome.DIRECTION : Outcome.NOT;
    return new Check(o, name + " " + PaperTable.ci(i));
  }

  /** The better of zero-shot and T2I R@5 for the claim that the text side moves in direction {@code sign}. */
  private static Check textSide(List<EvaluationReport> before, List<EvaluationReport> after, int sign) {
    Check zs = directed(before, after, EvaluationReport.ClassRow::zeroShotAccuracy, "zero-shot", sign);
    Check t2i = directed(before, after, EvaluationReport.ClassRow::t2iRecallAt5, "T2I R@5", sign);
    Outcome best = zs.outcome().ordinal() <= t2i.outcome().ordinal() ? zs.outcome() : t2i.outcome();
    return new Check(best, zs.evidence() + "; " + t2i.evidence());
  }

  private static String claim(String what, Check c) {
    String verdict = switch (c.outcome()) {
      case REPRODUCED -> "Reproduced";
      case DIRECTION -> "**Direction only** (the interval includes 0)";
      case NOT -> "**Not reproduced**";
    };
    return "- " + verdict + ": " + what + " (" + c.evidence() + ").";
  }
}
