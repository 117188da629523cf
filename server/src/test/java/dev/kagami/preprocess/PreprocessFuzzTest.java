package dev.kagami.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fuzzer;
import org.junit.jupiter.api.Test;

/** Fuzzing the image decoder and the text normaliser and tokenizer ({@link Fuzzer}, bounded time, committed corpus). */
class PreprocessFuzzTest {

  @Test
  void the_image_decoder_only_ever_decodes_or_refuses() {
    Fuzzer.Result r = Fuzzer.run("image", PreprocessFuzzTargets.imageDecoder(new ImageDecoder(new ImageLimits(2_000_000, 4_000_000))));
    System.out.println(r.line());
    assertThat(r.crashes()).isEmpty();
  }

  @Test
  void the_tokenizer_frames_every_text_or_refuses_it() {
    ModelPackage pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    try (ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 200)) {
      Fuzzer.Result r = Fuzzer.run("text", PreprocessFuzzTargets.tokenizer(tok, pkg.manifest().text()));
      System.out.println(r.line());
      assertThat(r.crashes()).isEmpty();
    }
  }
}
