package dev.kagami.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fuzzer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Fuzzing the image decoder and the text normaliser and tokenizer ({@link Fuzzer}, bounded time, committed corpus). */
class PreprocessFuzzTest {

  @Test
  void the_image_decoder_only_ever_decodes_or_refuses() {
    ImageDecoder decoder = new ImageDecoder(new ImageLimits(2_000_000, 4_000_000));
    Fuzzer.Result r = Fuzzer.run("image", bytes -> {
      try {
        RgbImage img = decoder.decode(bytes);
        if (img.pixels().length != img.width() * img.height()) {
          throw new AssertionError("pixel count does not match the size");
        }
        return "decoded";
      } catch (InvalidInput e) {
        return "InvalidInput";
      }
    });
    System.out.println(r.line());
    assertThat(r.crashes()).isEmpty();
  }

  @Test
  void the_tokenizer_frames_every_text_or_refuses_it() {
    ModelPackage pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    var spec = pkg.manifest().text();
    try (ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), spec, 200)) {
      Fuzzer.Result r = Fuzzer.run("text", bytes -> {
        String text = new String(bytes, StandardCharsets.UTF_8);
        try {
          long[] ids = tok.tokenize(text);
          if (ids.length != spec.contextLength() || ids[0] != spec.startTokenId()) {
            throw new AssertionError("not framed: " + java.util.Arrays.toString(ids));
          }
          boolean end = false;
          for (long id : ids) {
            end |= id == spec.endTokenId();
          }
          if (!end) {
            throw new AssertionError("no end-of-text token");
          }
          return "tokenized";
        } catch (InvalidInput e) {
          return "InvalidInput";
        }
      });
      System.out.println(r.line());
      assertThat(r.crashes()).isEmpty();
    }
  }
}
