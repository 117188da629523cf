package dev.kagami.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {

  final ModelLoader loader = new ModelLoader(new EngineFactory(), new ImageDecoder(new ImageLimits(1 << 24, 1L << 26)));

  static ModelLoader.Settings settings(EngineKind kind, boolean parity, double min) {
    return new ModelLoader.Settings(kind, new EngineOptions(1, 0),
        new DynamicBatcher.Settings(8, TimeUnit.MILLISECONDS.toNanos(1), 64, 1), 1000, parity, min);
  }

  @Test
  void parity_check_passes_for_the_fixture_on_both_primary_engines() {
    for (EngineKind k : List.of(EngineKind.ONNXRUNTIME, EngineKind.PYTORCH)) {
      try (ModelRuntime rt = loader.load(Fixtures.TINY_CLIP, settings(k, true, 0.9999))) {
        assertThat(rt.engine().kind()).isEqualTo(k);
      }
    }
  }

  @Test
  void parity_check_refuses_a_package_whose_engines_disagree() {
    assertThatThrownBy(() -> loader.load(Fixtures.TINY_CLIP, settings(EngineKind.ONNXRUNTIME, true, 1.0001)))
        .isInstanceOf(InvalidModelPackage.class).hasMessageContaining("disagree: worst cosine");
  }

  @Test
  void parity_check_needs_torchscript(@TempDir Path tmp) throws IOException {
    Fixtures.writeOpenClipLayout(tmp.resolve("x/1"));
    assertThatThrownBy(() -> loader.load(tmp.resolve("x/1"), settings(EngineKind.ONNXRUNTIME, true, 0.9999)))
        .isInstanceOf(InvalidModelPackage.class).hasMessageContaining("no TorchScript towers");
  }

  @Test
  void runtime_embeds_in_input_order_and_names_a_bad_input_by_index() throws Exception {
    try (ModelRuntime rt = loader.load(Fixtures.TINY_CLIP, settings(EngineKind.ONNXRUNTIME, false, 0))) {
      var golden = Fixtures.goldenImages().get(0);
      var text = Fixtures.goldenTexts().get(0);
      List<EmbedInput> in = List.of(EmbedInput.text(text.text()), EmbedInput.image(golden.bytes()), EmbedInput.text("x"));
      EmbedResult r = rt.submit(rt.prepare(in), CallBudget.NONE).get(30, TimeUnit.SECONDS);
      assertThat(r.vectors()).hasSize(3);
      assertThat(Fixtures.cosine(r.vectors().get(0), text.embedding())).isGreaterThan(0.999);
      assertThat(Fixtures.cosine(r.vectors().get(1), golden.embedding())).isGreaterThan(0.999);
      assertThatThrownBy(() -> rt.prepare(List.of(EmbedInput.text("ok"), EmbedInput.image(new byte[] {1, 2, 3}))))
          .isInstanceOf(InvalidInput.class).hasMessageStartingWith("input 1: ");
    }
  }
}
