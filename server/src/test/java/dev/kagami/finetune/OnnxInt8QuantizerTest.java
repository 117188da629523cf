package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.embedding.ParityCheck;
import dev.kagami.engine.EncoderEngine;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.finetune.onnx.TensorProto;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.Fixtures;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The int8 variant of a package: the weights' values, the rewritten graph on ONNX Runtime, the parity gate. */
class OnnxInt8QuantizerTest {

  @Test
  void weights_are_quantized_per_column_symmetrically_to_hand_computed_values() {
    // W is [k=2, n=2]: columns (1, 0.5) and (-2, 4); scales max|col| / 127
    List<TensorProto> t = OnnxInt8Quantizer.quantizeWeight("w", new float[] {1f, -2f, 0.5f, 4f}, 2, 2);
    byte[] q = t.get(0).getRawData().toByteArray();
    assertThat(q).containsExactly(127, -63, 64, 127); // 0.5 * 127 = 63.5 -> 64; -2 / (4 / 127) = -63.5 -> -63
    float[] scale = new float[2];
    t.get(1).getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(scale);
    assertThat(scale).containsExactly(1f / 127, 4f / 127);
    assertThat(t.get(2).getRawData().toByteArray()).containsExactly(0, 0);
    assertThat(t.get(0).getDimsList()).containsExactly(2L, 2L);
    assertThat(t.get(0).getDataType()).isEqualTo(OnnxInt8Quantizer.INT8);
    // a zero column keeps scale 1 (no division by zero)
    List<TensorProto> z = OnnxInt8Quantizer.quantizeWeight("z", new float[] {0f, 0f}, 2, 1);
    assertThat(z.get(0).getRawData().toByteArray()).containsExactly(0, 0);
  }

  @Test
  void the_int8_package_serves_on_onnx_runtime_close_to_fp32_on_the_golden_images(@TempDir Path repo) throws Exception {
    Path baseDir = repo.resolve("tiny-clip/1");
    Fixtures.copyTree(Fixtures.TINY_CLIP, baseDir);
    ModelPackage base = new ModelPackageReader().read(baseDir);
    EngineFactory engines = new EngineFactory();
    ClipImageTransform transform = new ClipImageTransform(base.manifest().image());
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    List<Fixtures.GoldenImage> golden = Fixtures.goldenImages();
    float[] px = new float[golden.size() * transform.tensorLength()];
    for (int i = 0; i < golden.size(); i++) {
      transform.apply(decoder.decode(golden.get(i).bytes()), px, i * transform.tensorLength());
    }
    QuantizedPackageWriter.Result r = new QuantizedPackageWriter(engines).write(base, repo, "1-int8", false, px, 0.99);
    assertThat(r.visual().quantizedMatMuls()).isEqualTo(2 * 4 + 1); // per block: in, out projection, MLP in, out; the head
    assertThat(r.visual().bytesAfter()).isLessThan(r.visual().bytesBefore());
    assertThat(r.parity()).isGreaterThanOrEqualTo(0.99).isLessThan(1.0); // close, and really changed
    ModelPackage int8 = r.pkg();
    assertThat(int8.directory()).isEqualTo(repo.resolve("tiny-clip/1-int8"));
    assertThat(int8.visualTorchScript()).isEmpty(); // the int8 graph is ONNX Runtime's only
    assertThat(Files.readAllBytes(int8.textualOnnx())).isEqualTo(Files.readAllBytes(base.textualOnnx()));
    assertThat(int8.manifest().description()).contains("int8 variant of tiny-clip/1");
    try (EncoderEngine a = engines.open(EngineKind.ONNXRUNTIME, base, new EngineOptions(1, 0));
        EncoderEngine b = engines.open(EngineKind.ONNXRUNTIME, int8, new EngineOptions(1, 0))) {
      float[][] fp = a.encodeImages(px, golden.size());
      float[][] q = b.encodeImages(px, golden.size());
      for (int i = 0; i < golden.size(); i++) {
        assertThat(ParityCheck.cosine(fp[i], q[i])).as(golden.get(i).file()).isGreaterThanOrEqualTo(0.99);
      }
      assertThat(b.shortTextSequences()).isTrue(); // the fp32 text tower still runs short
    }
    assertThat(Files.list(repo.resolve("tiny-clip")).map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("1",
        "1-int8");
  }

  @Test
  void a_package_below_the_gate_is_refused_and_nothing_is_left(@TempDir Path repo) throws Exception {
    Path baseDir = repo.resolve("tiny-clip/1");
    Fixtures.copyTree(Fixtures.TINY_CLIP, baseDir);
    ModelPackage base = new ModelPackageReader().read(baseDir);
    assertThatThrownBy(() -> new QuantizedPackageWriter(new EngineFactory()).write(base, repo, "q", true, new float[0], 0.999999))
        .isInstanceOf(InvalidModelPackage.class).hasMessageContaining("failed the parity gate");
    assertThat(Files.list(repo.resolve("tiny-clip")).map(p -> p.getFileName().toString())).containsExactly("1");
  }
}
