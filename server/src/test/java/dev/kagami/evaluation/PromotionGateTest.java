package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.model.ModelId;
import dev.kagami.registry.GateRules;
import dev.kagami.registry.GateVerdict;
import dev.kagami.registry.ModelVersion;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The gate's rules against hand-made reports: each rule at its edge, and the verdict passes only when all pass. */
class PromotionGateTest {

  static EvaluationReport report(String model, double map, Double zeroShot, Double t2i, double classA, double classB, Double p99) {
    return new EvaluationReport("r-" + model, "2026-12-01T00:00:00Z", model, "onnxruntime", "shop", "test", 42, 20, 2,
        "openai-imagenet", new EvaluationReport.Summary(map, map, map, 0.5, zeroShot, null, t2i, null, 2),
        List.of(new EvaluationReport.ClassRow("a", 10, classA, 1.0, 0.5, null, null),
            new EvaluationReport.ClassRow("b", 10, classB, 1.0, 0.5, null, null)),
        new EvaluationReport.Operations(20, 0, 50.0, 10.0, p99, 32, 128, 0.1, 0.01), List.of());
  }

  static ModelVersion candidate(List<String> engines, Optional<Double> parity) {
    return new ModelVersion(new ModelId("m", "2"), "KAGAMI", 32, "c".repeat(64), 1, engines, ModelVersion.Origin.IMPORTED,
        Optional.empty(), parity, "", "me", Instant.EPOCH);
  }

  static final ModelVersion BOTH_CHECKED = candidate(List.of("onnxruntime", "pytorch"), Optional.of(0.99999));
  static final GateRules RULES = new GateRules(0.01, 0.02, 0.05, 100, true);
  static final EvaluationReport CURRENT = report("m/1", 0.50, 0.60, 0.70, 0.50, 0.50, 20.0);

  static GateVerdict.Rule rule(GateVerdict v, String name) {
    return v.rules().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void a_candidate_that_meets_every_rule_at_its_edge_passes() {
    // mAP exactly current + margin, text side exactly current - tolerance, a class down exactly the limit
    GateVerdict v = PromotionGate.judge(RULES, CURRENT, report("m/2", 0.51, 0.58, 0.68, 0.45, 0.60, 100.0), BOTH_CHECKED);
    assertThat(v.rules()).allSatisfy(r -> assertThat(r.passed()).as(r.toString()).isTrue());
    assertThat(v.passed()).isTrue();
    assertThat(rule(v, "image-to-image mAP").current()).isEqualTo(0.50);
    assertThat(rule(v, "image-to-image mAP").candidate()).isEqualTo(0.51);
  }

  @Test
  void each_rule_fails_on_its_own_and_the_verdict_names_it() {
    assertThat(failing(report("m/2", 0.505, 0.60, 0.70, 0.5, 0.5, 20.0), BOTH_CHECKED)).containsExactly("image-to-image mAP");
    assertThat(failing(report("m/2", 0.60, 0.57, 0.70, 0.5, 0.5, 20.0), BOTH_CHECKED)).containsExactly("zero-shot accuracy");
    assertThat(failing(report("m/2", 0.60, 0.60, 0.67, 0.5, 0.5, 20.0), BOTH_CHECKED)).containsExactly("text-to-image recall@5");
    assertThat(failing(report("m/2", 0.60, 0.60, 0.70, 0.44, 0.9, 20.0), BOTH_CHECKED))
        .containsExactly("largest per-class image-to-image AP drop");
    assertThat(failing(report("m/2", 0.60, 0.60, 0.70, 0.5, 0.5, 101.0), BOTH_CHECKED))
        .containsExactly("embedding call latency p99 (ms)");
    assertThat(failing(report("m/2", 0.60, 0.60, 0.70, 0.5, 0.5, 20.0), candidate(List.of("onnxruntime", "pytorch"),
        Optional.empty()))).containsExactly("ONNX vs TorchScript parity");
    GateVerdict v = PromotionGate.judge(RULES, CURRENT, report("m/2", 0.60, 0.60, 0.70, 0.44, 0.9, 20.0), BOTH_CHECKED);
    assertThat(v.failures()).contains("class 'a' by 0.060");
  }

  @Test
  void what_was_not_measured_is_not_held_against_the_candidate() {
    EvaluationReport noText = report("m/1", 0.5, null, null, 0.5, 0.5, null);
    GateVerdict v = PromotionGate.judge(RULES, noText, report("m/2", 0.6, null, null, 0.5, 0.5, null),
        candidate(List.of("onnxruntime"), Optional.empty()));
    assertThat(v.passed()).isTrue();
    assertThat(rule(v, "zero-shot accuracy").note()).contains("not measured");
    assertThat(rule(v, "ONNX vs TorchScript parity").note()).contains("one engine");
  }

  @Test
  void reports_of_different_datasets_or_splits_are_not_compared() {
    EvaluationReport other = new EvaluationReport("x", "2026-12-01T00:00:00Z", "m/2", "onnxruntime", "other", "test", 42, 1, 1,
        "simple", CURRENT.summary(), List.of(), CURRENT.operations(), List.of());
    assertThatThrownBy(() -> PromotionGate.judge(RULES, CURRENT, other, BOTH_CHECKED)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new GateRules(0, 0.02, 0.05, 0, true)).hasMessageContaining("max_latency_p99_ms");
  }

  static List<String> failing(EvaluationReport candidate, ModelVersion v) {
    GateVerdict verdict = PromotionGate.judge(RULES, CURRENT, candidate, v);
    assertThat(verdict.passed()).isFalse();
    return verdict.rules().stream().filter(r -> !r.passed()).map(GateVerdict.Rule::name).toList();
  }
}
