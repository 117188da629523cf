package dev.kagami.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command-line tools as a user runs them: typed options, clear refusals, and a real evaluation. */
class KagamiCliTest {

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = KagamiCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void help_lists_the_commands_and_their_options() {
    Run top = run("--help");
    assertThat(top.exit()).isZero();
    assertThat(top.out()).contains("evaluate", "paper-table", "train-default");
    Run eval = run("evaluate", "--help");
    assertThat(eval.exit()).isZero();
    assertThat(eval.out()).contains("--dataset", "--fractions", "--engine", "ONNXRUNTIME");
    Run train = run("train-default", "train", "--help");
    assertThat(train.out()).as(train.err()).contains("--init", "--steps", "--openclipart");
  }

  @Test
  void bad_options_end_with_usage_exit_2_and_a_clear_message() {
    Run noCommand = run();
    assertThat(noCommand.exit()).isEqualTo(2);
    assertThat(noCommand.err()).contains("name a command");
    Run missing = run("evaluate", "--out", "x");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required option", "--dataset");
    Run kind = run("evaluate", "--dataset", "pictures:/tmp", "--out", "x");
    assertThat(kind.exit()).isEqualTo(2);
    assertThat(kind.err()).contains("unknown dataset kind 'pictures'");
    Run fractions = run("evaluate", "--dataset", "folder:/tmp", "--fractions", "0.5,0.5", "--out", "x");
    assertThat(fractions.exit()).isEqualTo(2);
    assertThat(fractions.err()).contains("not three fractions");
    Run sum = run("evaluate", "--dataset", "folder:/tmp", "--fractions", "0.5,0.5,0.5", "--out", "x");
    assertThat(sum.exit()).isEqualTo(2);
    assertThat(sum.err()).contains("add up to 1");
    Run engine = run("evaluate", "--dataset", "folder:/tmp", "--engine", "cuda", "--out", "x");
    assertThat(engine.exit()).isEqualTo(2);
    assertThat(engine.err()).contains("--engine", "cuda");
    Run methods = run("paper-table", "--methods", "GPR_FT,FOO");
    assertThat(methods.exit()).isEqualTo(2);
    assertThat(methods.err()).contains("FOO");
  }

  @Test
  void a_refusal_by_kagami_is_its_message_and_exit_1_not_a_stack_trace(@TempDir Path tmp) {
    Run r = run("evaluate", "--model", Fixtures.TINY_CLIP.toString(), "--dataset", "folder:" + tmp.resolve("absent"),
        "--templates", "fancy", "--out", tmp.resolve("r").toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("unknown template set 'fancy'").doesNotContain("\tat ");
  }

  @Test
  void evaluate_writes_a_report_of_a_real_model_on_a_folder_dataset(@TempDir Path tmp) throws IOException {
    Color[] colors = {Color.RED, Color.GREEN, Color.BLUE};
    String[] names = {"red", "green", "blue"};
    for (int c = 0; c < colors.length; c++) {
      for (int i = 0; i < 10; i++) {
        Path p = tmp.resolve("shop").resolve(names[c]).resolve(i + ".png");
        Files.createDirectories(p.getParent());
        Files.write(p, Images.png(24 + i, 24, colors[c]));
      }
    }
    Path out = tmp.resolve("report/tiny");
    Run r = run("evaluate", "--model", Fixtures.TINY_CLIP.toString(), "--dataset", "folder:" + tmp.resolve("shop"),
        "--fractions", "0.4,0.2,0.4", "--seed", "3", "--split", "test", "--templates", "simple",
        "--cache", tmp.resolve("cache").toString(), "--out", out.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("imported shop: 30 images, 3 classes", "wrote " + out);
    assertThat(Files.readString(tmp.resolve("report/tiny.json"))).contains("\"dataset\"", "tiny-clip");
    assertThat(Files.readString(tmp.resolve("report/tiny.md"))).contains("bin/kagami-evaluate --model");
  }

  @Test
  void quantize_writes_an_int8_version_through_the_parity_gate_and_the_kpi_check(@TempDir Path tmp) throws IOException {
    Path base = tmp.resolve("models/tiny-clip/1");
    Fixtures.copyTree(Fixtures.TINY_CLIP, base);
    Color[] colors = {Color.RED, Color.GREEN, Color.BLUE};
    for (int c = 0; c < colors.length; c++) {
      for (int i = 0; i < 20; i++) {
        Path p = tmp.resolve("shop").resolve("c" + c).resolve(i + ".png");
        Files.createDirectories(p.getParent());
        Files.write(p, Images.png(24 + i, 24, colors[c]));
      }
    }
    Run r = run("quantize", "--model", base.toString(), "--dataset", "folder:" + tmp.resolve("shop"), "--cache",
        tmp.resolve("cache").toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("wrote " + tmp.resolve("models/tiny-clip/1-int8"), "parity gate: worst cosine", "KPI check on shop");
    assertThat(tmp.resolve("models/tiny-clip/1-int8/kagami-model.json")).exists();

    Run again = run("quantize", "--model", base.toString());
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("tiny-clip/1-int8 exists already").doesNotContain("\tat ");
    Run strict = run("quantize", "--model", base.toString(), "--version", "strict", "--min-parity", "1.5");
    assertThat(strict.exit()).isEqualTo(1);
    assertThat(strict.err()).contains("failed the parity gate");
    assertThat(tmp.resolve("models/tiny-clip/strict")).doesNotExist();
  }
}
