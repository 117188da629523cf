package dev.kagami.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fixtures.GoldenImage;
import dev.kagami.testing.Fixtures.GoldenText;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end through each engine: Kagami's preprocessing + engine against the reference embeddings that
 * PyTorch computed from PIL-preprocessed inputs (cosine >= 0.999), and ONNX Runtime against PyTorch on
 * the same package (cosine >= 0.9999).
 */
class EngineGoldenTest {

  static ModelPackage pkg;
  static EncoderEngine onnx;
  static EncoderEngine torch;
  static ClipImageTransform transform;
  static ClipTokenizer tokenizer;
  static final ImageDecoder DECODER = new ImageDecoder(new ImageLimits(50_000_000, 100_000_000L));

  @BeforeAll
  static void open() {
    pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    EngineFactory f = new EngineFactory();
    onnx = f.open(EngineKind.ONNXRUNTIME, pkg, new EngineOptions(1, 0));
    torch = f.open(EngineKind.PYTORCH, pkg, new EngineOptions(1, 0));
    transform = new ClipImageTransform(pkg.manifest().image());
    tokenizer = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 100_000);
  }

  @AfterAll
  static void close() {
    onnx.close();
    torch.close();
    tokenizer.close();
  }

  private float[] pixels(List<GoldenImage> images) {
    float[] px = new float[images.size() * transform.tensorLength()];
    for (int i = 0; i < images.size(); i++) {
      transform.apply(DECODER.decode(images.get(i).bytes()), px, i * transform.tensorLength());
    }
    return px;
  }

  private long[] ids(List<GoldenText> texts) {
    long[] ids = new long[texts.size() * tokenizer.contextLength()];
    for (int i = 0; i < texts.size(); i++) {
      tokenizer.tokenize(texts.get(i).text(), ids, i * tokenizer.contextLength());
    }
    return ids;
  }

  @Test
  void image_embeddings_match_the_reference_on_both_engines() {
    List<GoldenImage> images = Fixtures.goldenImages();
    float[] px = pixels(images);
    for (EncoderEngine e : List.of(onnx, torch)) {
      float[][] out = e.encodeImages(px, images.size());
      for (int i = 0; i < images.size(); i++) {
        double cos = Fixtures.cosine(out[i], images.get(i).embedding());
        assertThat(cos).as("%s %s", e.kind(), images.get(i).file()).isGreaterThanOrEqualTo(0.999);
        double maxAbs = 0;
        for (int d = 0; d < out[i].length; d++) {
          maxAbs = Math.max(maxAbs, Math.abs(out[i][d] - images.get(i).embedding()[d]));
        }
        assertThat(maxAbs).as("max abs diff %s %s", e.kind(), images.get(i).file()).isLessThanOrEqualTo(1e-3);
      }
    }
  }

  @Test
  void text_embeddings_match_the_reference_on_both_engines() {
    List<GoldenText> texts = Fixtures.goldenTexts();
    long[] ids = ids(texts);
    for (EncoderEngine e : List.of(onnx, torch)) {
      float[][] out = e.encodeTexts(ids, texts.size());
      for (int i = 0; i < texts.size(); i++) {
        assertThat(Fixtures.cosine(out[i], texts.get(i).embedding())).as("%s '%s'", e.kind(), texts.get(i).text())
            .isGreaterThanOrEqualTo(0.999);
      }
    }
  }

  @Test
  void onnx_runtime_and_pytorch_agree_on_the_same_package() {
    List<GoldenImage> images = Fixtures.goldenImages();
    float[] px = pixels(images);
    float[][] a = onnx.encodeImages(px, images.size());
    float[][] b = torch.encodeImages(px, images.size());
    List<GoldenText> texts = Fixtures.goldenTexts();
    long[] ids = ids(texts);
    float[][] c = onnx.encodeTexts(ids, texts.size());
    float[][] d = torch.encodeTexts(ids, texts.size());
    for (int i = 0; i < a.length; i++) {
      assertThat(Fixtures.cosine(a[i], b[i])).isGreaterThanOrEqualTo(0.9999);
    }
    for (int i = 0; i < c.length; i++) {
      assertThat(Fixtures.cosine(c[i], d[i])).isGreaterThanOrEqualTo(0.9999);
    }
  }

  @Test
  void embeddings_are_unit_length_and_batch_independent() {
    List<GoldenImage> images = Fixtures.goldenImages().subList(0, 3);
    float[] px = pixels(images);
    float[][] batch = onnx.encodeImages(px, 3);
    for (int i = 0; i < 3; i++) {
      float[] one = onnx.encodeImages(java.util.Arrays.copyOfRange(px, i * transform.tensorLength(),
          (i + 1) * transform.tensorLength()), 1)[0];
      assertThat(Fixtures.cosine(one, batch[i])).isGreaterThanOrEqualTo(0.99999);
      double norm = 0;
      for (float v : batch[i]) {
        norm += v * v;
      }
      assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }
  }
}
