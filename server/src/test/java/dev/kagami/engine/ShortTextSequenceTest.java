package dev.kagami.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fixtures.GoldenText;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The text tower on short sequences gives the full-context embeddings: for every golden text, alone and in
 * one batch (cut to the batch's longest text), cosine >= 0.99999 with the same engine on the full context,
 * on the committed packages (exported with a dynamic sequence axis) and both engines.
 */
class ShortTextSequenceTest {

  static List<Arguments> packagesAndEngines() {
    return List.of(Arguments.of(Fixtures.TINY_CLIP, EngineKind.ONNXRUNTIME), Arguments.of(Fixtures.TINY_CLIP, EngineKind.PYTORCH),
        Arguments.of(Fixtures.DEFAULT_MODEL, EngineKind.ONNXRUNTIME), Arguments.of(Fixtures.DEFAULT_MODEL, EngineKind.PYTORCH),
        Arguments.of(Fixtures.DEFAULT_MODEL_1, EngineKind.ONNXRUNTIME), Arguments.of(Fixtures.DEFAULT_MODEL_1, EngineKind.PYTORCH));
  }

  @ParameterizedTest
  @MethodSource("packagesAndEngines")
  void every_golden_text_embeds_as_on_the_full_context(Path dir, EngineKind kind) {
    ModelPackage pkg = new ModelPackageReader().read(dir);
    EngineFactory f = new EngineFactory();
    List<GoldenText> texts = Fixtures.goldenTexts();
    try (EncoderEngine shortSeq = f.open(kind, pkg, new EngineOptions(1, 0));
        EncoderEngine full = f.open(kind, pkg, new EngineOptions(1, 0).withShortTextSequences(false));
        ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 100_000)) {
      assertThat(shortSeq.shortTextSequences()).as("the probe at load accepts %s on %s", dir, kind).isTrue();
      assertThat(full.shortTextSequences()).isFalse();
      int c = tok.contextLength();
      long[] ids = new long[texts.size() * c];
      for (int i = 0; i < texts.size(); i++) {
        tok.tokenize(texts.get(i).text(), ids, i * c);
      }
      float[][] reference = full.encodeTexts(ids, texts.size());
      float[][] batch = shortSeq.encodeTexts(ids, texts.size());
      for (int i = 0; i < texts.size(); i++) {
        float[][] alone = shortSeq.encodeTexts(java.util.Arrays.copyOfRange(ids, i * c, (i + 1) * c), 1);
        assertThat(Fixtures.cosine(alone[0], reference[i])).as("alone: %s", texts.get(i).text()).isGreaterThanOrEqualTo(0.99999);
        assertThat(Fixtures.cosine(batch[i], reference[i])).as("batch: %s", texts.get(i).text()).isGreaterThanOrEqualTo(0.99999);
      }
    }
  }
}
