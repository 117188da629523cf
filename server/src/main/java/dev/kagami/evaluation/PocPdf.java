package dev.kagami.evaluation;

import dev.kagami.registry.GateVerdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.NumberFormat;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.List;
import java.util.Locale;
import java.util.ResourceBundle;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDType0Font;

/**
 * A {@link PocReport} as an A4 PDF in English or Japanese. The text is set in a TrueType font embedded as a
 * subset (Debian's IPA P Gothic by default), so Japanese renders and can be extracted back; labels come from
 * the {@code poc-report} resource bundle, numbers and dates are formatted for the language.
 */
public final class PocPdf {

  private static final float MARGIN = 48;
  private static final float LINE = 14;

  private final List<Path> fonts;

  public PocPdf(List<Path> fonts) {
    this.fonts = List.copyOf(fonts);
  }

  /** The font file that will be embedded, or empty when none of the configured files exists. */
  public java.util.Optional<Path> font() {
    return fonts.stream().filter(Files::isRegularFile).findFirst();
  }

  public byte[] render(PocReport r, Locale locale) {
    Path fontFile = font().orElseThrow(() -> new dev.kagami.error.KagamiException.FailedPrecondition(
        "no font for PDF reports: none of " + fonts + " exists (install Debian's fonts-ipafont-gothic or set "
            + "kagami.evaluation.report-fonts)"));
    ResourceBundle t = ResourceBundle.getBundle("dev.kagami.evaluation.poc-report", locale,
        ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
    try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      PDFont font = PDType0Font.load(doc, fontFile.toFile());
      PDDocumentInformation info = doc.getDocumentInformation();
      info.setTitle(t.getString("title") + " " + r.runId());
      info.setCreator("Kagami");
      new Writer(doc, font, t, locale).write(r);
      doc.save(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the PDF: " + e.getMessage(), e);
    }
  }

  /** Lays the report out top to bottom, starting a new page when the current one is full. */
  private static final class Writer {
    private final PDDocument doc;
    private final PDFont font;
    private final ResourceBundle t;
    private final NumberFormat num;
    private final Locale locale;
    private PDPageContentStream cs;
    private float y;

    Writer(PDDocument doc, PDFont font, ResourceBundle t, Locale locale) {
      this.doc = doc;
      this.font = font;
      this.t = t;
      this.locale = locale;
      this.num = NumberFormat.getNumberInstance(locale);
      num.setMinimumFractionDigits(3);
      num.setMaximumFractionDigits(3);
    }

    void write(PocReport r) throws IOException {
      newPage();
      text(t.getString("title") + " — " + r.runId(), 18, MARGIN);
      y -= 8;
      kv(t.getString("method"), r.method());
      kv(t.getString("base"), r.baseModel());
      kv(t.getString("tuned"), r.tunedModel());
      kv(t.getString("generated"), DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withLocale(locale)
          .format(r.createdAt().atZone(ZoneOffset.UTC)) + " UTC");
      heading(t.getString("recommendation"));
      text(t.getString("rec." + r.recommendation().name()), 11, MARGIN);
      heading(t.getString("gate"));
      float[] gateCols = {MARGIN, MARGIN + 170, MARGIN + 250, MARGIN + 330, MARGIN + 430};
      row(gateCols, true, t.getString("rule"), t.getString("before"), t.getString("after"), t.getString("requirement"),
          t.getString("result"));
      for (GateVerdict.Rule rule : r.verdict().rules()) {
        row(gateCols, false, rule.name(), f(rule.current()), f(rule.candidate()), rule.requirement(),
            t.getString(rule.passed() ? "passed" : "failed"));
      }
      heading(t.getString("kpis"));
      float[] kpiCols = {MARGIN, MARGIN + 110, MARGIN + 190, MARGIN + 270, MARGIN + 350};
      row(kpiCols, true, t.getString("kpi"), t.getString("before"), t.getString("after"), t.getString("change"),
          t.getString("interval"));
      for (PocReport.KpiChange k : r.kpis()) {
        row(kpiCols, false, k.kpi(), f(k.before()), f(k.after()), signed(k.change()),
            k.low() == null ? "—" : "[" + signed(k.low()) + ", " + signed(k.high()) + "]");
      }
      heading(t.getString("worse"));
      if (r.worseClasses().isEmpty()) {
        text(t.getString("worse.none"), 10, MARGIN);
      } else {
        float[] cols = {MARGIN, MARGIN + 170, MARGIN + 240, MARGIN + 320, MARGIN + 400};
        row(cols, true, t.getString("class"), t.getString("images"), t.getString("before"), t.getString("after"),
            t.getString("change"));
        for (PocReport.ClassChange c : r.worseClasses()) {
          row(cols, false, c.label(), Integer.toString(c.images()), f(c.before()), f(c.after()), signed(c.change()));
        }
      }
      heading(t.getString("costs"));
      PocReport.Costs c = r.costs();
      kv(t.getString("training"), oneDecimal(c.trainingSeconds()) + " s");
      kv(t.getString("modelSize"), mb(c.baseModelBytes()) + " / " + mb(c.tunedModelBytes()));
      kv(t.getString("latency"), ms(c.beforeLatencyP50Ms()) + " / " + ms(c.beforeLatencyP99Ms()) + " -> "
          + ms(c.afterLatencyP50Ms()) + " / " + ms(c.afterLatencyP99Ms()));
      kv(t.getString("throughput"), oneDecimal(c.beforeImagesPerSecond()) + " -> " + oneDecimal(c.afterImagesPerSecond()));
      kv(t.getString("bytes"), Integer.toString(c.bytesPerEmbedding()));
      heading(t.getString("tradeoff"));
      chart(r.tradeoff(), r.tunedModel());
      heading(t.getString("data"));
      PocReport.Data d = r.data();
      kv(t.getString("dataset"), d.dataset());
      kv(t.getString("split"), d.split() + " (" + d.images() + " " + t.getString("images") + ", " + d.classes() + " "
          + t.getString("class") + ")");
      kv(t.getString("seed"), Long.toString(d.seed()));
      kv(t.getString("templates"), d.templates());
      kv(t.getString("queries"), Integer.toString(d.t2iQueries()));
      cs.close();
    }

    private void chart(List<PocReport.TradeoffPoint> points, String tuned) throws IOException {
      float w = 300;
      float h = 160;
      need(h + 30);
      float x0 = MARGIN + 30;
      float y0 = y - h;
      cs.setLineWidth(0.8f);
      cs.moveTo(x0, y0);
      cs.lineTo(x0 + w, y0);
      cs.moveTo(x0, y0);
      cs.lineTo(x0, y0 + h);
      cs.stroke();
      text("I2I mAP", 8, x0 + w - 30, y0 - 12);
      text("T2I R@5", 8, MARGIN, y0 + h + 4);
      for (PocReport.TradeoffPoint p : points) {
        if (p.i2iMap() == null || p.t2iRecallAt5() == null) {
          continue;
        }
        float px = x0 + (float) (p.i2iMap() * w);
        float py = y0 + (float) (p.t2iRecallAt5() * h);
        cs.addRect(px - 2.5f, py - 2.5f, 5, 5);
        if (p.model().equals(tuned)) {
          cs.fill();
        } else {
          cs.stroke();
        }
        text(p.model(), 7, px + 5, py + 2);
      }
      text("0", 7, x0 - 8, y0 - 8);
      text("1", 7, x0 + w - 2, y0 - 8);
      text("1", 7, x0 - 8, y0 + h - 4);
      y = y0 - 24;
    }

    private void heading(String s) throws IOException {
      y -= 8;
      need(3 * LINE);
      text(s, 13, MARGIN);
    }

    private void kv(String k, String v) throws IOException {
      need(LINE);
      text(k, 10, MARGIN, y);
      text(v == null ? "—" : v, 10, MARGIN + 200, y);
      y -= LINE;
    }

    private void row(float[] cols, boolean header, String... cells) throws IOException {
      need(LINE);
      for (int i = 0; i < cells.length; i++) {
        float width = (i + 1 < cols.length ? cols[i + 1] : PDRectangle.A4.getWidth() - MARGIN) - cols[i] - 6;
        text(fit(cells[i] == null ? "—" : cells[i], header ? 9.5f : 9, width), header ? 9.5f : 9, cols[i], y);
      }
      y -= LINE;
    }

    private String fit(String s, float size, float width) throws IOException {
      String out = s;
      while (out.length() > 1 && font.getStringWidth(out) / 1000 * size > width) {
        out = out.substring(0, out.length() - 2) + "…";
      }
      return out;
    }

    private void text(String s, float size, float x) throws IOException {
      need(size + 4);
      text(s, size, x, y);
      y -= size + 6;
    }

    private void text(String s, float size, float x, float at) throws IOException {
      cs.beginText();
      cs.setFont(font, size);
      cs.newLineAtOffset(x, at - size);
      cs.showText(s);
      cs.endText();
    }

    private void need(float height) throws IOException {
      if (y - height < MARGIN) {
        cs.close();
        newPage();
      }
    }

    private void newPage() throws IOException {
      PDPage page = new PDPage(PDRectangle.A4);
      doc.addPage(page);
      cs = new PDPageContentStream(doc, page);
      y = PDRectangle.A4.getHeight() - MARGIN;
    }

    private String f(Double v) {
      return v == null ? "—" : num.format(v);
    }

    private String signed(Double v) {
      return v == null ? "—" : (v >= 0 ? "+" : "") + num.format(v);
    }

    private String oneDecimal(Double v) {
      if (v == null) {
        return "—";
      }
      NumberFormat n = NumberFormat.getNumberInstance(locale);
      n.setMaximumFractionDigits(1);
      n.setMinimumFractionDigits(1);
      return n.format(v);
    }

    private String ms(Double v) {
      return v == null ? "—" : oneDecimal(v) + " ms";
    }

    private String mb(long bytes) {
      return oneDecimal(bytes / 1e6) + " MB";
    }
  }
}
