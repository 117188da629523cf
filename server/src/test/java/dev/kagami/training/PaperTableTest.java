package dev.kagami.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImageSource;
import dev.kagami.dataset.Split;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The paper table's page from made-up reports: means over seeds, intervals, and verdicts that follow them. */
class PaperTableTest {

  static final int CLASSES = 12;

  /** A report whose classes have {@code i2i + k * step} mAP and the given text-side KPIs. */
  static EvaluationReport report(String id, double i2i, double step, double zeroShot, double t2i) {
    List<EvaluationReport.ClassRow> rows = new ArrayList<>();
    for (int k = 0; k < CLASSES; k++) {
      double wobble = (k % 3 - 1) * 0.01;
      rows.add(new EvaluationReport.ClassRow("c" + k, 5 + k, i2i + k * step + wobble, i2i, null, zeroShot + wobble, t2i - wobble));
    }
    EvaluationReport.Summary s = new EvaluationReport.Summary(i2i, null, i2i, null, zeroShot, null, t2i, null, 10);
    EvaluationReport.Operations o = new EvaluationReport.Operations(0, 0, null, null, null, 32, 128, 0, 0);
    return new EvaluationReport(id, "2026-12-03T00:00:00Z", "m/" + id, "onnxruntime", "d", "test", 1, 100, CLASSES, "t", s, rows, o,
        List.of());
  }

  @Test
  void the_page_gives_means_intervals_and_verdicts_computed_from_them() {
    EvaluationReport base = report("base", 0.30, 0.01, 0.40, 0.50);
    List<PaperTable.MethodRuns> runs = List.of(
        new PaperTable.MethodRuns("GPR-FT", List.of(report("g1", 0.40, 0.01, 0.30, 0.30), report("g2", 0.42, 0.01, 0.31, 0.32)),
            List.of(1.0, 1.0), List.of("image 30", "image 40"), List.of("image 0: i2i_map 0.3*")),
        new PaperTable.MethodRuns("2SFT", List.of(report("t1", 0.40, 0.01, 0.38, 0.45), report("t2", 0.42, 0.01, 0.39, 0.46)),
            List.of(1.0, 1.0), List.of("a", "b"), List.of("")),
        new PaperTable.MethodRuns("MCIP", List.of(report("m1", 0.38, 0.01, 0.30, 0.30), report("m2", 0.36, 0.01, 0.31, 0.32)),
            List.of(1.0, 1.0), List.of("a", "b"), List.of("")),
        new PaperTable.MethodRuns("MCIP + Re-A", List.of(report("r1", 0.38, 0.01, 0.30, 0.30), report("r2", 0.36, 0.01, 0.31, 0.32)),
            List.of(1.0, 1.0), List.of("a", "b"), List.of("")));
    List<DatasetItem> items = new ArrayList<>();
    Map<String, Split> splits = new HashMap<>();
    for (int i = 0; i < 24; i++) {
      items.add(new DatasetItem("i" + i, "c" + (i % CLASSES), List.of(), Map.of(), new ImageSource.File(Path.of("x.png"))));
      splits.put("i" + i, i < 12 ? Split.TRAIN : Split.TEST);
    }
    PaperTable.Setup setup = new PaperTable.Setup("bin/kagami-paper-table --seeds 1,2", new ModelPackageReader().read(Fixtures.TINY_CLIP),
        Dataset.of("d", "made up", items, List.of()), splits, "class-disjoint", List.of(1L, 2L), "settings.", "none.");
    String md = PaperTable.markdown(setup, base, runs, List.of(new PaperTable.MethodRuns("2SFT, Re-A projection only",
        List.of(report("a1", 0.40, 0.01, 0.35, 0.40)), List.of(1.0), List.of("image 30, realign 5"), List.of(""))));
    assertThat(md).contains("| GPR-FT | 0.410 ± 0.014 |").contains("class-disjoint splits").contains("Seeds [1, 2]");
    assertThat(md).contains("each test image's own captions query the test images").doesNotContain("one query per class");
    assertThat(md).contains("| GPR-FT | I2I mAP | +0.110 [");
    assertThat(md).contains("- Reproduced: GPR-FT improves image-to-image retrieval over the base");
    assertThat(md).contains("- Reproduced: GPR-FT weakens the text side");
    assertThat(md).contains("- Reproduced: 2SFT's re-alignment recovers");
    assertThat(md).contains("- **Not reproduced**: MCIP keeps the text side better than GPR-FT");
    assertThat(md).contains("- Reproduced: MCIP + Re-A is at least as good as MCIP");
    assertThat(md).contains("GPR-FT: image 0: i2i_map 0.3*");
    assertThat(md).contains("| 2SFT, Re-A projection only | 0.400 | 0.350 | 0.400 | +0.050 [");
  }
}
