package dev.kagami.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.error.KagamiException.ModelUnavailable;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.model.ModelManifest;
import dev.kagami.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fail-fast checks when an engine opens a package. */
class EngineLoadTest {

  final EngineFactory engines = new EngineFactory();
  final ModelPackageReader reader = new ModelPackageReader();

  @Test
  void a_wrong_input_name_is_reported_with_the_names_the_model_has() {
    ModelPackage p = reader.read(Fixtures.TINY_CLIP);
    ModelManifest m = p.manifest();
    ModelManifest wrong = new ModelManifest(m.format(), m.name(), m.version(), m.description(), m.embeddingDimension(),
        m.image(), m.text(), new ModelManifest.TensorNames("image", null, null, null), m.files());
    ModelPackage bad = new ModelPackage(p.directory(), p.layout(), wrong, p.visualOnnx(), p.textualOnnx(),
        p.visualTorchScript(), p.textualTorchScript(), p.tokenizer());
    assertThatThrownBy(() -> engines.open(EngineKind.ONNXRUNTIME, bad, new EngineOptions(1, 0)))
        .isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("visual.onnx does not contain required input 'image'. Model contains: [pixel_values]");
  }

  @Test
  void a_wrong_dimension_is_caught_by_the_warm_up() {
    ModelPackage p = reader.read(Fixtures.TINY_CLIP);
    ModelManifest m = p.manifest();
    ModelManifest wrong = new ModelManifest(m.format(), m.name(), m.version(), m.description(), 512, m.image(), m.text(),
        m.tensors(), m.files());
    ModelPackage bad = new ModelPackage(p.directory(), p.layout(), wrong, p.visualOnnx(), p.textualOnnx(),
        p.visualTorchScript(), p.textualTorchScript(), p.tokenizer());
    assertThatThrownBy(() -> engines.open(EngineKind.ONNXRUNTIME, bad, new EngineOptions(1, 0)))
        .isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("image tower failed").hasMessageContaining("expected [N, 512]");
  }

  @Test
  void pytorch_needs_the_torchscript_towers(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("export/1");
    Fixtures.writeOpenClipLayout(dir);
    ModelPackage p = reader.read(dir);
    assertThatThrownBy(() -> engines.open(EngineKind.PYTORCH, p, new EngineOptions(1, 0)))
        .isInstanceOf(InvalidModelPackage.class).hasMessageContaining("has no visual.pt");
  }

  @Test
  void the_openclip_layout_serves_the_same_embeddings(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("export/1");
    Fixtures.writeOpenClipLayout(dir);
    try (EncoderEngine a = engines.open(EngineKind.ONNXRUNTIME, reader.read(dir), new EngineOptions(1, 0));
        EncoderEngine b = engines.open(EngineKind.ONNXRUNTIME, reader.read(Fixtures.TINY_CLIP), new EngineOptions(1, 0))) {
      float[] px = new float[3 * 224 * 224];
      java.util.Arrays.fill(px, 0.25f);
      assertThat(Fixtures.cosine(a.encodeImages(px, 1)[0], b.encodeImages(px, 1)[0])).isGreaterThan(0.99999);
    }
  }

  @Test
  void tensorrt_without_its_libraries_is_a_clear_error_and_other_engines_keep_working() {
    ModelPackage p = reader.read(Fixtures.TINY_CLIP);
    assertThatThrownBy(() -> engines.open(EngineKind.TENSORRT, p, new EngineOptions(1, 0)))
        .isInstanceOf(ModelUnavailable.class)
        .hasMessageContaining("Engine TensorRT cannot start on this host")
        .hasMessageContaining("TensorRT 8.x libraries")
        .satisfies(e -> System.out.println("TensorRT on a host without it: " + e.getMessage()));
    try (EncoderEngine ok = engines.open(EngineKind.ONNXRUNTIME, p, new EngineOptions(1, 0))) {
      assertThat(ok.dimension()).isEqualTo(32);
    }
  }

  @Test
  void engine_names_parse_and_unknown_ones_are_refused() {
    assertThat(EngineKind.parse("onnxruntime")).isEqualTo(EngineKind.ONNXRUNTIME);
    assertThat(EngineKind.parse("PyTorch")).isEqualTo(EngineKind.PYTORCH);
    assertThat(EngineKind.parse("tensorrt")).isEqualTo(EngineKind.TENSORRT);
    assertThatThrownBy(() -> EngineKind.parse("mxnet")).isInstanceOf(InvalidInput.class).hasMessageContaining("mxnet");
  }

  @Test
  void files_are_untouched_by_loading() throws IOException {
    String before = ModelPackageReader.sha256(Fixtures.TINY_CLIP.resolve("visual.onnx"));
    try (EncoderEngine e = engines.open(EngineKind.ONNXRUNTIME, reader.read(Fixtures.TINY_CLIP), new EngineOptions(1, 0))) {
      assertThat(Files.exists(Fixtures.TINY_CLIP.resolve("visual.onnx"))).isTrue();
    }
    assertThat(ModelPackageReader.sha256(Fixtures.TINY_CLIP.resolve("visual.onnx"))).isEqualTo(before);
  }
}
