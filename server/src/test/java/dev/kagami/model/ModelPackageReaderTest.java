package dev.kagami.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackageReaderTest {

  final ModelPackageReader reader = new ModelPackageReader();

  @Test
  void reads_the_kagami_layout() {
    ModelPackage p = reader.read(Fixtures.TINY_CLIP);
    assertThat(p.layout()).isEqualTo(ModelPackage.Layout.KAGAMI);
    assertThat(p.id()).isEqualTo("tiny-clip/1");
    assertThat(p.manifest().embeddingDimension()).isEqualTo(32);
    assertThat(p.manifest().image().size()).isEqualTo(224);
    assertThat(p.manifest().image().resizeMode()).isEqualTo(ModelManifest.ResizeMode.SHORTEST);
    assertThat(p.manifest().text().padTokenId()).isEqualTo(49407);
    assertThat(p.visualTorchScript()).isPresent();
  }

  @Test
  void a_changed_file_fails_its_checksum(@TempDir Path tmp) throws IOException {
    Fixtures.copyTree(Fixtures.TINY_CLIP, tmp);
    byte[] b = Files.readAllBytes(tmp.resolve("visual.onnx"));
    b[b.length - 1] ^= 1;
    Files.write(tmp.resolve("visual.onnx"), b);
    assertThatThrownBy(() -> reader.read(tmp)).isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("visual.onnx: sha256 is").hasMessageContaining("manifest expects");
  }

  @Test
  void missing_files_are_all_named(@TempDir Path tmp) throws IOException {
    Fixtures.copyTree(Fixtures.TINY_CLIP, tmp);
    Files.delete(tmp.resolve("textual.onnx"));
    Files.delete(tmp.resolve("tokenizer.json"));
    assertThatThrownBy(() -> reader.read(tmp)).isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("required file textual.onnx is missing")
        .hasMessageContaining("required file tokenizer.json is missing");
  }

  @Test
  void an_empty_or_unknown_directory_says_what_it_holds(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("weights.bin"), "x");
    assertThatThrownBy(() -> reader.read(tmp)).isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("neither kagami-model.json").hasMessageContaining("[weights.bin]");
    assertThatThrownBy(() -> reader.read(tmp.resolve("nope"))).isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void a_broken_manifest_is_refused_with_the_parse_error(@TempDir Path tmp) throws IOException {
    Fixtures.copyTree(Fixtures.TINY_CLIP, tmp);
    Files.writeString(tmp.resolve("kagami-model.json"), "{ \"name\": ");
    assertThatThrownBy(() -> reader.read(tmp)).isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("kagami-model.json is not a valid manifest");
  }

  @Test
  void inconsistent_specs_are_listed(@TempDir Path tmp) throws IOException {
    Fixtures.copyTree(Fixtures.TINY_CLIP, tmp);
    String m = Files.readString(tmp.resolve("kagami-model.json"))
        .replace("\"embeddingDimension\": 32", "\"embeddingDimension\": 0")
        .replace("\"interpolation\": \"bicubic\"", "\"interpolation\": \"nearest\"");
    Files.writeString(tmp.resolve("kagami-model.json"), m);
    assertThatThrownBy(() -> reader.read(tmp)).isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("embeddingDimension must be positive")
        .hasMessageContaining("'nearest' is not supported");
  }

  @Test
  void reads_the_openclip_immich_layout(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("tiny-export/1");
    Fixtures.writeOpenClipLayout(dir);
    ModelPackage p = reader.read(dir);
    assertThat(p.layout()).isEqualTo(ModelPackage.Layout.OPENCLIP);
    assertThat(p.id()).isEqualTo("tiny-export/1");
    assertThat(p.manifest().embeddingDimension()).isEqualTo(32);
    assertThat(p.manifest().image().mean()).containsExactly(0.48145466, 0.4578275, 0.40821073);
    assertThat(p.manifest().text().startTokenId()).isEqualTo(49406);
    assertThat(p.visualTorchScript()).isEmpty();
  }

  @Test
  void openclip_layout_without_preprocess_cfg_is_refused(@TempDir Path tmp) throws IOException {
    Fixtures.writeOpenClipLayout(tmp);
    Files.delete(tmp.resolve("visual/preprocess_cfg.json"));
    assertThatThrownBy(() -> reader.read(tmp)).isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("visual/preprocess_cfg.json is missing");
  }
}
