package dev.kagami.preprocess;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.model.ModelManifest.TextSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;

/**
 * CLIP tokenization on the package's {@code tokenizer.json}, through DJL's Hugging Face tokenizers.
 *
 * <p>Text is NFC-normalised (and lower-cased when the package says so), limited to a configured number of
 * characters, encoded with the start and end tokens, truncated to the context length so that the end
 * token is kept as the last token, and padded with the package's pad id. The tokenizer's own padding
 * (id 0) is not used: CLIP pads with its end-of-text token.
 */
public final class ClipTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final TextSpec spec;
  private final int maxChars;

  public ClipTokenizer(Path tokenizerJson, TextSpec spec, int maxChars) {
    this.spec = spec;
    this.maxChars = maxChars;
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
          "addSpecialTokens", "true",
          "padding", "false",
          "truncation", "false",
          "maxLength", String.valueOf(Integer.MAX_VALUE / 2)));
    } catch (IOException | RuntimeException e) {
      throw new InvalidModelPackage("Cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
    }
    long[] probe = tokenizer.encode("a").getIds();
    if (probe.length < 2 || probe[0] != spec.startTokenId() || probe[probe.length - 1] != spec.endTokenId()) {
      throw new InvalidModelPackage("Tokenizer " + tokenizerJson + " does not frame text with start id "
          + spec.startTokenId() + " and end id " + spec.endTokenId() + " as the manifest says; it gave "
          + java.util.Arrays.toString(probe) + " for \"a\"");
    }
  }

  public int contextLength() {
    return spec.contextLength();
  }

  /**
   * Checks the text against the limit: at most the configured number of characters (code points, so an
   * emoji counts once). Throws {@link InvalidInput} with the reason.
   */
  public void check(String text) {
    if (text == null) {
      throw new InvalidInput("text is missing");
    }
    // characters are Unicode code points (an emoji is one), not UTF-16 units
    int chars = text.codePointCount(0, text.length());
    if (chars > maxChars) {
      throw new InvalidInput("text is " + chars + " characters, over the limit of " + maxChars);
    }

  }

  /** Token ids of {@code text}, exactly {@link #contextLength()} long. */
  public long[] tokenize(String text) {
    long[] out = new long[spec.contextLength()];
    tokenize(text, out, 0);
    return out;
  }

  /** Writes the token ids of {@code text} into {@code dst} at {@code offset}. */
  public void tokenize(String text, long[] dst, int offset) {
    check(text);
    String t = Normalizer.normalize(text, Normalizer.Form.NFC);
    if (spec.lowerCase()) {
      t = t.toLowerCase(Locale.ROOT);
    }
    Encoding enc = tokenizer.encode(t);
    long[] ids = enc.getIds();
    int ctx = spec.contextLength();
    int n = Math.min(ids.length, ctx);
    System.arraycopy(ids, 0, dst, offset, n);
    if (ids.length > ctx) {
      dst[offset + ctx - 1] = spec.endTokenId(); // truncated: keep the end-of-text token last
    }
    for (int i = n; i < ctx; i++) {
      dst[offset + i] = spec.padTokenId();
    }
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
