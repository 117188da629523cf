package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException;
import dev.kagami.registry.GateVerdict;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;

/** Needs Debian's fonts-ipafont-gothic (installed by .ci/run); the Japanese text must come back out of the PDF. */
class PocPdfTest {

  static final List<Path> FONTS = List.of(Path.of("/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf"),
      Path.of("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"));

  static PocReport report(int worseClasses) {
    List<GateVerdict.Rule> rules = List.of(new GateVerdict.Rule("image-to-image mAP", 0.5, 0.6, "current + 0.000", true, ""),
        new GateVerdict.Rule("largest per-class image-to-image AP drop", null, 0.08, "<= 0.050", false, "class 靴 dropped"));
    GateVerdict v = new GateVerdict(false, "m/1", "m/2", "shoes", "test", "r1", "r2", rules);
    List<PocReport.ClassChange> worse = new ArrayList<>();
    for (int i = 0; i < worseClasses; i++) {
      worse.add(new PocReport.ClassChange(i == 0 ? "靴" : "class-" + i, 12, 0.7, 0.62, -0.08));
    }
    Map<String, Double> stages = new LinkedHashMap<>();
    stages.put("image", 30.0);
    stages.put("evaluate", 4.0);
    return new PocReport("run-1", Instant.parse("2026-12-02T10:00:00Z"), "MCIP", "m/1", "m/2",
        PocReport.Recommendation.KEEP_CURRENT, v,
        List.of(new PocReport.KpiChange("I2I mAP", 0.5, 0.6, 0.1, 0.02, 0.18), new PocReport.KpiChange("T2I R@1", null, null, null,
            null, null)), worse,
        new PocReport.Costs(34, stages, 10_000_000, 10_000_000, 2.0, 2.1, 5.0, 5.5, 100.0, 98.0, 512),
        new PocReport.Data("shoes", "test", 120, 10, 42, "openai-imagenet", 40),
        List.of(new PocReport.TradeoffPoint("m/1", "r1", 0.5, 0.4), new PocReport.TradeoffPoint("m/2", "r2", 0.6, 0.38)), "r1",
        "r2");
  }

  static String text(byte[] pdf) throws Exception {
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      return new PDFTextStripper().getText(doc);
    }
  }

  @Test
  void japanese_renders_with_the_embedded_font_and_extracts_back() throws Exception {
    String ja = text(new PocPdf(FONTS).render(report(1), Locale.JAPANESE));
    assertThat(ja).contains("PoC レポート", "推奨", "現行モデルを維持", "昇格ゲート", "悪化したクラス", "靴", "運用コスト", "測定データ");
    String en = text(new PocPdf(FONTS).render(report(0), Locale.ENGLISH));
    assertThat(en).contains("PoC report", "Keep the current model", "No class got worse.", "I2I mAP", "[+0.020, +0.180]", "shoes");
    assertThat(en).doesNotContain("推奨");
  }

  @Test
  void a_long_report_flows_onto_more_pages() throws Exception {
    try (PDDocument doc = Loader.loadPDF(new PocPdf(FONTS).render(report(80), Locale.ENGLISH))) {
      assertThat(doc.getNumberOfPages()).isGreaterThan(1);
      assertThat(new PDFTextStripper().getText(doc)).contains("class-79");
    }
  }

  @Test
  void no_font_is_a_clear_refusal() {
    assertThatThrownBy(() -> new PocPdf(List.of(Path.of("/nonexistent/font.ttf"))).render(report(0), Locale.ENGLISH))
        .isInstanceOf(KagamiException.FailedPrecondition.class).hasMessageContaining("fonts-ipafont-gothic");
  }
}
