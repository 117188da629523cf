package dev.kagami.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paper table with its learning rates chosen on the validation split: every candidate is trained and
 * judged on validation, exactly one wins per method and stage, the runs use the winners, and the page says
 * how they were chosen.
 */
class PaperTableCliTest {

  @Test
  void learning_rates_are_chosen_on_validation_and_the_page_says_how(@TempDir Path tmp) throws Exception {
    Path base = tmp.resolve("models/tiny-clip/1");
    Fixtures.copyTree(Fixtures.TINY_CLIP, base);
    Color[] colors = {Color.RED, Color.GREEN, Color.BLUE};
    for (int c = 0; c < colors.length; c++) {
      for (int i = 0; i < 20; i++) { // 36 training images: more than one batch of 32
        Path p = tmp.resolve("shop").resolve("c" + c).resolve(i + ".png");
        Files.createDirectories(p.getParent());
        Files.write(p, Images.png(24 + i, 24, colors[c]));
      }
    }
    Path page = tmp.resolve("page.md");
    KagamiCliTest.Run r = KagamiCliTest.run("paper-table", "--base", base.toString(), "--dataset", "folder:" + tmp.resolve("shop"),
        "--methods", "GPR_FT,TWO_SFT", "--seeds", "1", "--epochs", "1", "--realign-epochs", "1", "--trainable", "last-blocks:1",
        "--tune-lr", "1e-4,1e-3", "--tune-realign-lr", "1e-5,1e-4", "--work", tmp.resolve("work").toString(), "--out", page.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    String md = Files.readString(page);
    assertThat(md).contains("## How the learning rates were chosen", "On the validation split only",
        "epochs at lr chosen on validation (below)");
    String section = md.substring(md.indexOf("## How the learning rates were chosen"));
    assertThat(section).contains("| GPR_FT | image | 1.0E-4 |", "| GPR_FT | image | 0.001 |", "| TWO_SFT | re-alignment | 1.0E-5 |",
        "| TWO_SFT | re-alignment | 1.0E-4 |");
    Matcher chosen = Pattern.compile("\\| (GPR_FT|TWO_SFT) \\| [a-z-]+ \\| ([0-9.E-]+) \\|[^\\n]*\\| yes \\|").matcher(section);
    int winners = 0;
    while (chosen.find()) {
      winners++;
    }
    assertThat(winners).as("one winner per method and stage").isEqualTo(2);
    assertThat(section).containsPattern("Chosen: image stage \\{[^}]*GPR_FT=(1\\.0E-4|0\\.001)");
    // the tuning runs were judged on validation before the tables' test evaluation: their folders come first
    assertThat(tmp.resolve("work/runs/tune-gpr_ft-lr0")).exists();
    assertThat(tmp.resolve("work/runs/tune-two_sft-lr1")).exists();
  }
}
