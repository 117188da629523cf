package dev.kagami.preprocess;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelManifest.TextSpec;
import dev.kagami.testing.Fuzzer;
import java.nio.charset.StandardCharsets;

/** The fuzz targets of the preprocess package, for {@link PreprocessFuzzTest} and the reliability bench. */
public final class PreprocessFuzzTargets {

  private PreprocessFuzzTargets() {}

  /** The image decoder: decodes (pixels matching the size) or refuses with InvalidInput. */
  public static Fuzzer.Target imageDecoder(ImageDecoder decoder) {
    return bytes -> {
      try {
        RgbImage img = decoder.decode(bytes);
        if (img.pixels().length != img.width() * img.height()) {
          throw new AssertionError("pixel count does not match the size");
        }
        return "decoded";
      } catch (InvalidInput e) {
        return "InvalidInput";
      }
    };
  }

  /** Normaliser and tokenizer: every text (bytes read as UTF-8) is framed in exactly the context length, or refused. */
  public static Fuzzer.Target tokenizer(ClipTokenizer tok, TextSpec spec) {
    return bytes -> {
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
    };
  }
}
