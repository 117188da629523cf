package dev.kagami.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImageSource;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.finetune.ImageTuner;
import dev.kagami.finetune.ImageTunerTest;
import dev.kagami.finetune.TrainableTower;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.preprocess.RgbImage;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole runs on the tiny package's real towers and a small pattern dataset written as PNG files: the
 * tuned package is written, validation history has its baseline and best points, and a run interrupted
 * in each stage resumes from its checkpoints to exactly the weights of an uninterrupted run.
 */
class FineTuneRunnerTest {

  static final long SEED = Long.getLong("kagami.test.seed", 5L);
  static final List<String> CLASSES = List.of("horizontal", "vertical", "diagonal", "checks");

  @TempDir
  static Path data;
  static Dataset dataset;
  static Map<String, Split> splits;

  @BeforeAll
  static void writeDataset() throws IOException {
    SplittableRandom r = new SplittableRandom(SEED);
    List<DatasetItem> items = new ArrayList<>();
    for (int c = 0; c < CLASSES.size(); c++) {
      for (int i = 0; i < 24; i++) {
        RgbImage img = ImageTunerTest.pattern(c, r);
        Path f = data.resolve(CLASSES.get(c) + "-" + i + ".png");
        Files.write(f, Images.png(img));
        items.add(new DatasetItem(f.getFileName().toString(), CLASSES.get(c), List.of(CLASSES.get(c) + " stripes pattern"),
            Map.of(), new ImageSource.File(f)));
      }
    }
    dataset = Dataset.of("patterns", "test", items, List.of());
    splits = Splits.stratified(dataset, SEED, new Splits.Fractions(0.5, 0.25, 0.25));
  }

  static RunSpec spec(RunSpec.Method method, String version) {
    return new RunSpec("tiny-clip", "1", "patterns", method, RunSpec.Trainable.LAST_BLOCKS, 1, 2, 16, 1e-3, 2, 1e-3, SEED, 2,
        0, RunSpec.CaptionSource.DATASET, 20, 0.27, 0, version);
  }

  /** Records what a run reports; throws once at a chosen stage and step, as a crash would stop the process. */
  static final class Recorder implements FineTuneRunner.Listener {
    final List<String> stages = new CopyOnWriteArrayList<>();
    final List<String> steps = new CopyOnWriteArrayList<>();
    final List<String> validations = new CopyOnWriteArrayList<>();
    final String crashStage;
    final int crashStep;

    Recorder(String crashStage, int crashStep) {
      this.crashStage = crashStage;
      this.crashStep = crashStep;
    }

    @Override
    public void stage(String stage, int totalSteps) {
      stages.add(stage);
    }

    @Override
    public void step(String stage, ImageTuner.StepLog s) {
      steps.add(stage + ":" + s.step());
      if (stage.equals(crashStage) && s.step() == crashStep) {
        throw new IllegalStateException("simulated crash at " + stage + " step " + crashStep);
      }
    }

    @Override
    public void validation(String stage, int step, Double loss, Map<String, Double> kpis, boolean best) {
      validations.add(stage + ":" + step + (best ? "*" : "") + kpis.keySet());
    }
  }

  FineTuneRunner.Result run(RunSpec spec, Path repo, Path runDir, Recorder rec) {
    ModelPackage base = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    FineTuneRunner runner = new FineTuneRunner(new ImageDecoder(new ImageLimits(1_000_000, 10_000_000)), repo);
    return runner.run(spec, base, dataset, splits, runDir, rec, () -> false, Optional.empty());
  }

  @Test
  void a_two_stage_run_interrupted_in_each_stage_resumes_to_the_weights_of_an_uninterrupted_run(@TempDir Path tmp)
      throws IOException {
    RunSpec spec = spec(RunSpec.Method.MCIP_REA, "2");
    Recorder straight = new Recorder("", -1);
    FineTuneRunner.Result a = run(spec, tmp.resolve("repo-a"), tmp.resolve("run-a"), straight);
    assertThat(a.resultModel()).isEqualTo("tiny-clip/2");
    assertThat(a.parity()).isGreaterThanOrEqualTo(0.9999);
    // 48 training images, batch 16: 3 steps an epoch, 6 per stage; validation before the first step, at 2, 4, 6
    assertThat(straight.steps).containsExactly("image:1", "image:2", "image:3", "image:4", "image:5", "image:6",
        "realign:1", "realign:2", "realign:3", "realign:4", "realign:5", "realign:6");
    assertThat(straight.validations).hasSize(8);
    assertThat(straight.validations.get(0)).startsWith("image:0*").contains("i2i_map");
    // re-alignment is chosen by what it repairs; these captions name classes ("diagonal stripes pattern"), so by zero-shot
    assertThat(straight.validations.get(4)).startsWith("realign:0*").contains("zero_shot").contains("val_infonce");

    Path runB = tmp.resolve("run-b");
    Recorder first = new Recorder(FineTuneRunner.IMAGE, 3);
    assertThatThrownBy(() -> run(spec, tmp.resolve("repo-b"), runB, first)).hasMessageContaining("simulated crash");
    Recorder second = new Recorder(FineTuneRunner.REALIGN, 5);
    assertThatThrownBy(() -> run(spec, tmp.resolve("repo-b"), runB, second)).hasMessageContaining("simulated crash");
    // resumed after the checkpoint at image step 2
    assertThat(second.steps).startsWith("image:3", "image:4").contains("realign:1");
    Recorder third = new Recorder("", -1);
    FineTuneRunner.Result b = run(spec, tmp.resolve("repo-b"), runB, third);
    // the image stage was done; re-alignment resumed after its checkpoint at step 4
    assertThat(third.steps).containsExactly("realign:5", "realign:6");
    assertThat(b.resultModel()).isEqualTo("tiny-clip/2");

    for (String tower : List.of("visual.pt", "textual.pt")) {
      try (TrainableTower ta = TrainableTower.load(tmp.resolve("repo-a/tiny-clip/2").resolve(tower), n -> true);
          TrainableTower tb = TrainableTower.load(tmp.resolve("repo-b/tiny-clip/2").resolve(tower), n -> true);
          TrainableTower base = TrainableTower.load(Fixtures.TINY_CLIP.resolve(tower), n -> true)) {
        Map<String, float[]> wa = ta.weights();
        Map<String, float[]> wb = tb.weights();
        assertThat(wb.keySet()).isEqualTo(wa.keySet());
        double worst = 0;
        double moved = 0;
        for (String k : wa.keySet()) {
          float[] x = wa.get(k);
          float[] y = wb.get(k);
          float[] z = base.weights().get(k);
          for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, Math.abs(x[i] - y[i]));
            moved = Math.max(moved, Math.abs(x[i] - z[i]));
          }
        }
        assertThat(worst).as(tower + ": resumed vs uninterrupted").isLessThan(1e-6);
        // the package holds each stage's best step: trained weights, or the starting ones when no step beat them
        int bestStep = a.bestSteps().get(tower.startsWith("visual") ? FineTuneRunner.IMAGE : FineTuneRunner.REALIGN);
        if (bestStep > 0) {
          assertThat(moved).as(tower + ": tuned vs base").isGreaterThan(1e-4);
        } else {
          assertThat(moved).as(tower + ": best step 0 hands on the starting weights").isZero();
        }
      }
    }
    // only the best weights of each finished stage are left
    try (var files = Files.list(runB.resolve(FineTuneRunner.IMAGE))) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("best-")).toList()).hasSize(1);
    }
  }

  @Test
  void bad_configurations_are_refused_with_the_reason() {
    assertThatThrownBy(() -> new RunSpec("tiny-clip", "1", "patterns", RunSpec.Method.GPR_FT, RunSpec.Trainable.LAST_BLOCKS, 0,
        1, 16, 1e-3, 1, 1e-3, 1, 0, 0, RunSpec.CaptionSource.DATASET, 20, 0.27, 0, "2"))
        .hasMessageContaining("last_blocks must be >= 1");
    assertThatThrownBy(() -> spec(RunSpec.Method.GPR_FT, "1")).hasMessageContaining("differ from the base");
    assertThatThrownBy(() -> spec(RunSpec.Method.GPR_FT, "../x")).hasMessageContaining("new version must be");
    RunSpec big = new RunSpec("tiny-clip", "1", "patterns", RunSpec.Method.GPR_FT, RunSpec.Trainable.PROJECTION, 0, 1, 64, 1e-3,
        1, 1e-3, 1, 0, 0, RunSpec.CaptionSource.DATASET, 20, 0.27, 0, "2");
    assertThatThrownBy(() -> run(big, Path.of("unused"), Path.of("unused"), new Recorder("", -1)))
        .hasMessageContaining("fewer than one batch of 64");
  }

  @Test
  void validation_keeps_the_best_weights_and_stops_after_patience_runs_out(@TempDir Path dir) {
    double[] values = {0.1, 0.3, 0.2, 0.25, 0.9};
    int[] next = {0};
    Recorder rec = new Recorder("", -1);
    RunSpec spec = new RunSpec("tiny-clip", "1", "patterns", RunSpec.Method.GPR_FT, RunSpec.Trainable.PROJECTION, 0, 1, 16, 1e-3,
        1, 1e-3, 1, 2, 2, RunSpec.CaptionSource.DATASET, 20, 0.27, 0, "2");
    StageSession s = new StageSession("image", dir, spec, 3, 3, rec, () -> false, () -> false, "m",
        f -> Files.writeString(f, "weights"), () -> Map.of("m", values[next[0]++]));
    assertThat(s.validateEvery()).isEqualTo(2);
    assertThat(s.validate(0)).isTrue();
    assertThat(s.validate(2)).isTrue();
    assertThat(s.validate(4)).isTrue(); // one validation without improvement
    byte[] saved = s.state();
    assertThat(s.validate(6)).isFalse(); // two: patience 2 is spent
    assertThat(rec.validations).containsExactly("image:0*[m]", "image:2*[m]", "image:4[m]", "image:6[m]");
    assertThat(dir.resolve("best-0.pt")).exists();
    assertThat(dir.resolve("best-2.pt")).exists();
    assertThat(dir.resolve("best-4.pt")).doesNotExist();
    StageSession resumed = new StageSession("image", dir, spec, 3, 3, rec, () -> false, () -> false, "m",
        f -> Files.writeString(f, "weights"), () -> Map.of("m", 0.05));
    resumed.restore(saved);
    assertThat(resumed.bestStep).isEqualTo(2);
    assertThat(resumed.best).isEqualTo(0.3);
    assertThat(resumed.validate(6)).isFalse();
  }

  @Test
  void the_default_interval_validates_at_least_ten_times_a_stage() {
    assertThat(StageSession.defaultInterval(30, 90)).isEqualTo(9); // 3 epochs of 30: every 9 steps, not every 30
    assertThat(StageSession.defaultInterval(30, 900)).isEqualTo(30); // 30 epochs: once per epoch is often enough
    assertThat(StageSession.defaultInterval(3, 6)).isEqualTo(1);
  }
}
