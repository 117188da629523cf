package dev.kagami.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.model.ModelManifest.TextSpec;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fixtures.GoldenText;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Token ids against OpenAI's simple_tokenizer algorithm (the golden ids), plus CLIP's framing rules. */
class ClipTokenizerTest {

  static final TextSpec SPEC = new ModelPackageReader().read(Fixtures.TINY_CLIP).manifest().text();
  static final ClipTokenizer TOKENIZER = new ClipTokenizer(Fixtures.TINY_CLIP.resolve("tokenizer.json"), SPEC, 10_000);

  @AfterAll
  static void close() {
    TOKENIZER.close();
  }

  static Stream<GoldenText> texts() {
    return Fixtures.goldenTexts().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("texts")
  void ids_match_the_reference_tokenizer(GoldenText g) {
    assertThat(TOKENIZER.tokenize(g.text())).containsExactly(g.ids());
  }

  @Test
  void a_photo_of_a_cat_has_clips_ids_and_is_padded_with_end_of_text() {
    long[] ids = TOKENIZER.tokenize("a photo of a cat");
    assertThat(ids).hasSize(77);
    assertThat(java.util.Arrays.copyOf(ids, 7)).containsExactly(49406, 320, 1125, 539, 320, 2368, 49407);
    for (int i = 7; i < 77; i++) {
      assertThat(ids[i]).as("pad at %d", i).isEqualTo(49407);
    }
  }

  @Test
  void truncation_keeps_the_end_token_last() {
    long[] ids = TOKENIZER.tokenize("word ".repeat(500));
    assertThat(ids).hasSize(77);
    assertThat(ids[0]).isEqualTo(49406);
    assertThat(ids[76]).isEqualTo(49407);
    assertThat(ids[75]).isNotEqualTo(49407);
  }

  @Test
  void nfc_and_nfd_spellings_tokenize_alike() {
    String nfc = "caf\u00e9";
    String nfd = "cafe\u0301";
    assertThat(TOKENIZER.tokenize(nfd)).containsExactly(TOKENIZER.tokenize(nfc));
  }

  @Test
  void edge_case_texts_do_not_crash() {
    for (String s : new String[] {"", "   ", "\u200b\u200b", "\u0645\u0631\u062d\u0628\u0627", "\ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67",
        "\u6771\u4eac", "\u0000", "\ud800"}) {
      long[] ids = TOKENIZER.tokenize(s);
      assertThat(ids).hasSize(77);
      assertThat(ids[0]).isEqualTo(49406);
    }
  }

  @Test
  void text_over_the_character_limit_is_invalid_input() {
    try (ClipTokenizer small = new ClipTokenizer(Fixtures.TINY_CLIP.resolve("tokenizer.json"), SPEC, 10)) {
      assertThat(small.tokenize("0123456789")).hasSize(77);
      assertThatThrownBy(() -> small.tokenize("0123456789x"))
          .isInstanceOf(InvalidInput.class).hasMessageContaining("11 characters, over the limit of 10");
    }
  }

  @Test
  void a_tokenizer_that_disagrees_with_the_manifest_is_refused() {
    TextSpec wrong = new TextSpec(77, 1, 2, 2, true);
    assertThatThrownBy(() -> new ClipTokenizer(Fixtures.TINY_CLIP.resolve("tokenizer.json"), wrong, 100))
        .isInstanceOf(InvalidModelPackage.class).hasMessageContaining("start id 1");
  }
}
