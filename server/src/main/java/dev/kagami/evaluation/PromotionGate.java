package dev.kagami.evaluation;

import dev.kagami.registry.GateRules;
import dev.kagami.registry.GateVerdict;
import dev.kagami.registry.ModelVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The promotion gate: compares a candidate's evaluation with the current version's, made on the same
 * dataset and split, rule by rule ({@link GateRules}). Pure: the reports are made elsewhere.
 */
public final class PromotionGate {

  private PromotionGate() {}

  public static GateVerdict judge(GateRules rules, EvaluationReport current, EvaluationReport candidate,
      ModelVersion candidateVersion) {
    if (!current.dataset().equals(candidate.dataset()) || !current.split().equals(candidate.split())) {
      throw new IllegalArgumentException("the gate compares reports of one dataset and split, not " + current.dataset() + "/"
          + current.split() + " and " + candidate.dataset() + "/" + candidate.split());
    }
    EvaluationReport.Summary a = current.summary();
    EvaluationReport.Summary b = candidate.summary();
    List<GateVerdict.Rule> out = new ArrayList<>();
    out.add(atLeast("image-to-image mAP", a.i2iMap(), b.i2iMap(), rules.minMapGain(),
        "current + " + f(rules.minMapGain())));
    out.add(atLeast("zero-shot accuracy", a.zeroShotAccuracy(), b.zeroShotAccuracy(), -rules.textTolerance(),
        "current - " + f(rules.textTolerance())));
    out.add(atLeast("text-to-image recall@5", a.t2iRecallAt5(), b.t2iRecallAt5(), -rules.textTolerance(),
        "current - " + f(rules.textTolerance())));
    out.add(classes(current, candidate, rules.maxClassApDrop()));
    out.add(latency(candidate, rules.maxLatencyP99Ms()));
    out.add(parity(candidateVersion, rules.requireParity()));
    return GateVerdict.of(current.model(), candidate.model(), current.dataset(), current.split(), current.id(), candidate.id(),
        out);
  }

  private static GateVerdict.Rule atLeast(String name, Double current, Double candidate, double margin, String requirement) {
    if (current == null || candidate == null) {
      return new GateVerdict.Rule(name, current, candidate, ">= " + requirement, true,
          "not measured on this dataset (no captions or no classes), so not held against the candidate");
    }
    double need = current + margin;
    boolean ok = candidate >= need - 1e-12;
    return new GateVerdict.Rule(name, current, candidate, ">= " + requirement, ok,
        (ok ? "" : "below the requirement: ") + f(candidate) + (ok ? " >= " : " < ") + f(need));
  }

  private static GateVerdict.Rule classes(EvaluationReport current, EvaluationReport candidate, double maxDrop) {
    Map<String, Double> before = new HashMap<>();
    current.perClass().forEach(c -> before.put(c.label(), c.i2iMap()));
    String worst = null;
    double worstDrop = 0;
    for (EvaluationReport.ClassRow c : candidate.perClass()) {
      Double was = before.get(c.label());
      if (was != null && c.i2iMap() != null && was - c.i2iMap() > worstDrop) {
        worstDrop = was - c.i2iMap();
        worst = c.label();
      }
    }
    boolean ok = worstDrop <= maxDrop + 1e-12;
    String note = worst == null ? "no class got worse" : "largest drop: class '" + worst + "' by " + f(worstDrop);
    return new GateVerdict.Rule("largest per-class image-to-image AP drop", null, worst == null ? 0.0 : worstDrop,
        "<= " + f(maxDrop), ok, note);
  }

  private static GateVerdict.Rule latency(EvaluationReport candidate, double budgetMs) {
    Double p99 = candidate.operations() == null ? null : candidate.operations().callLatencyP99Ms();
    if (p99 == null) {
      return new GateVerdict.Rule("embedding call latency p99 (ms)", null, null, "<= " + f(budgetMs), true,
          "not measured (every image came from the cache); not held against the candidate");
    }
    boolean ok = p99 <= budgetMs;
    return new GateVerdict.Rule("embedding call latency p99 (ms)", null, p99, "<= " + f(budgetMs), ok,
        String.format(Locale.ROOT, "%.1f ms %s %.1f ms", p99, ok ? "<=" : ">", budgetMs));
  }

  private static GateVerdict.Rule parity(ModelVersion v, boolean required) {
    Optional<Double> p = v.parity();
    if (!required) {
      return new GateVerdict.Rule("ONNX vs TorchScript parity", null, p.orElse(null), "not required", true, "not required");
    }
    if (!v.hasBothEngines()) {
      return new GateVerdict.Rule("ONNX vs TorchScript parity", null, null, "passed when the package has both", true,
          "the package has one engine's files only, so there is nothing to compare");
    }
    if (p.isEmpty()) {
      return new GateVerdict.Rule("ONNX vs TorchScript parity", null, null, "passed", false,
          "the package has both engines' files but its parity was never checked");
    }
    return new GateVerdict.Rule("ONNX vs TorchScript parity", null, p.get(), "passed", true,
        "lowest cosine " + String.format(Locale.ROOT, "%.6f", p.get()));
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }
}
