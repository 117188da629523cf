package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GPR-FT run's tower becomes version 2 of the tiny package: readable, checksummed, ONNX = TorchScript. */
class TunedPackageWriterTest {

  @Test
  void a_tuned_tower_becomes_a_new_verified_version(@TempDir Path repo) {
    ModelPackage base = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    SplittableRandom r = new SplittableRandom(5);
    List<ImageTuner.Example> train = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      for (int i = 0; i < 8; i++) {
        train.add(new ImageTuner.Example(ImageTunerTest.pattern(c, r), c));
      }
    }
    TunedPackageWriter.Result result;
    try (TrainableTower tower = TrainableTower.load(base.visualTorchScript().orElseThrow(), TrainableTower.lastBlocks(1, 2))) {
      new ImageTuner(tower, new ClipImageTransform(base.manifest().image()))
          .train(train, 2, ImageTuner.Config.gprFt(1, 8, 5e-3, 5), s -> { }, () -> false);
      result = new TunedPackageWriter().write(base, repo, "2", Optional.of(tower), Optional.empty(), "GPR-FT test run");
    }
    ModelPackage v2 = result.pkg();
    assertThat(v2.directory()).isEqualTo(repo.resolve("tiny-clip/2"));
    assertThat(v2.manifest().version()).isEqualTo("2");
    assertThat(result.parity()).isGreaterThanOrEqualTo(TunedPackageWriter.MIN_PARITY);
    assertThat(Fixtures.read(v2.textualOnnx())).isEqualTo(Fixtures.read(base.textualOnnx())); // the text tower is the base's
    assertThat(Fixtures.read(v2.visualOnnx())).isNotEqualTo(Fixtures.read(base.visualOnnx()));
    assertThat(repo.resolve("tiny-clip/.2.partial")).doesNotExist();
    assertThatThrownBy(() -> new TunedPackageWriter().write(base, repo, "2", Optional.empty(), Optional.empty(), "again"))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("exists already");
    assertThatThrownBy(() -> new TunedPackageWriter().write(base, repo, "1", Optional.empty(), Optional.empty(), "same"))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("differ from the base");
    assertThat(Files.exists(repo.resolve("tiny-clip/1"))).isFalse();
  }

}
