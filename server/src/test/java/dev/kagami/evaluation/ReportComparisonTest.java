package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kagami.error.KagamiException.FailedPrecondition;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportComparisonTest {

  static EvaluationReport report(String model, String dataset, double map, double knn, double shoesMap, Double t2i) {
    return new EvaluationReport("id-" + model, "2026-11-28T00:00:00Z", model, "onnxruntime", dataset, "test", 42, 100, 2,
        "simple", new EvaluationReport.Summary(map, map / 2, 0.5, knn, 0.3, t2i, t2i, t2i, t2i == null ? 0 : 10),
        List.of(new EvaluationReport.ClassRow("bags", 50, 0.4, 0.5, 0.6, 0.7, null),
            new EvaluationReport.ClassRow("shoes", 50, shoesMap, 0.5, 0.6, 0.7, null)),
        new EvaluationReport.Operations(100, 0, 10.0, 1.0, 2.0, 32, 128, 1, 1), List.of());
  }

  @Test
  void deltas_per_kpi_and_per_class_with_the_worst_class_first() {
    ReportComparison c = ReportComparison.of(report("base/1", "fm", 0.30, 0.60, 0.50, null),
        report("tuned/2", "fm", 0.45, 0.70, 0.20, 0.4));
    assertThat(c.kpis().get(0).kpi()).isEqualTo("I2I mAP");
    assertThat(c.kpis().get(0).change()).isCloseTo(0.15, within(1e-9));
    assertThat(c.kpis().stream().filter(d -> d.kpi().equals("T2I R@5")).findFirst().orElseThrow().change()).isNull();
    ReportComparison.ClassDelta shoes = c.classes().stream().filter(x -> x.label().equals("shoes")).findFirst().orElseThrow();
    assertThat(shoes.worstDrop()).isCloseTo(-0.30, within(1e-9));
    String md = c.toMarkdown();
    assertThat(md.indexOf("| shoes |")).isLessThan(md.indexOf("| bags |"));
    assertThat(md).contains("| I2I mAP | 30.00 | 45.00 | +15.00 |");
  }

  @Test
  void reports_of_different_datasets_are_not_compared() {
    assertThatThrownBy(() -> ReportComparison.of(report("a/1", "fm", 0.3, 0.6, 0.5, null), report("b/1", "oc", 0.3, 0.6, 0.5, null)))
        .isInstanceOf(FailedPrecondition.class).hasMessageContaining("not comparable");
  }
}
