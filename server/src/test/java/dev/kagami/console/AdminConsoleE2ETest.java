package dev.kagami.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.testing.Http;
import dev.kagami.testing.PatternDataset;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;

/**
 * The admin console end to end: the server (tiny fixture model, console built by Quinoa) is driven by
 * {@code admin-ui/e2e/run.mjs} in Debian's Chromium through playwright-core — upload a dataset, run a short
 * fine-tune and watch it, compare, PoC report, search side by side, gate verdict, Japanese, print — with
 * axe-core on every page. Then the PDFs it fetched are read back: the Japanese one must hold Japanese text.
 */
@QuarkusTest
@TestProfile(ConsoleProfile.class)
class AdminConsoleE2ETest {

  static final Path UI = Path.of("../admin-ui").toAbsolutePath().normalize();
  static final Path OUT = Path.of("target/e2e").toAbsolutePath();
  static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("KAGAMI_CHROMIUM", "/usr/bin/chromium"));

  @Test
  void a_console_user_runs_a_poc_from_the_browser() throws Exception {
    assertThat(CHROMIUM).as("the end-to-end test needs Debian's chromium (apt-get install chromium); .ci/run installs it")
        .isExecutable();
    assertThat(Http.get("/").body()).as("the console is served at /").contains("<div id=\"root\">");
    dev.kagami.dataset.ArchiveExtractor.deleteQuietly(OUT); // screenshots of an earlier run must not pass for this one's
    Files.createDirectories(OUT);
    Path zip = PatternDataset.classFolderZip(Files.createTempFile("kagami-patterns", ".zip"));
    ProcessBuilder pb = new ProcessBuilder("node", "e2e/run.mjs").directory(UI.toFile()).redirectErrorStream(true)
        .redirectOutput(OUT.resolve("e2e.log").toFile());
    pb.environment().put("KAGAMI_BASE_URL", Http.uri("/").toString().replaceAll("/$", ""));
    pb.environment().put("KAGAMI_E2E_ZIP", zip.toString());
    pb.environment().put("KAGAMI_E2E_OUT", OUT.toString());
    pb.environment().put("KAGAMI_CHROMIUM", CHROMIUM.toString());
    Process p = pb.start();
    boolean ended = p.waitFor(10, TimeUnit.MINUTES);
    if (!ended) {
      p.destroyForcibly();
    }
    String log = Files.readString(OUT.resolve("e2e.log"));
    System.out.println(log);
    assertThat(ended).as("the browser walk ended within 10 minutes").isTrue();
    assertThat(p.exitValue()).as("the browser walk passed; its log:\n" + log).isZero();
    assertThat(log).contains("e2e: passed");
    for (String shot : new String[] {"01-overview", "05-run", "06-compare", "07-poc", "08-search", "10-poc-ja"}) {
      assertThat(OUT.resolve(shot + ".png")).isNotEmptyFile();
    }
    assertThat(text(OUT.resolve("poc-en.pdf"))).contains("PoC report", "Recommendation", "Promotion gate", "I2I mAP");
    assertThat(text(OUT.resolve("poc-ja.pdf"))).contains("PoC レポート", "推奨", "昇格ゲート", "悪化したクラス");
    assertThat(text(OUT.resolve("poc-printed.pdf"))).contains("PoC report");
  }

  private static String text(Path pdf) throws IOException {
    try (PDDocument doc = Loader.loadPDF(new File(pdf.toString()))) {
      return new PDFTextStripper().getText(doc);
    }
  }
}
