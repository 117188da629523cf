package dev.kagami.embedding;

/** One thing to embed: a text or encoded image bytes. */
public sealed interface EmbedInput {

  record Text(String text) implements EmbedInput {}

  record Image(byte[] bytes) implements EmbedInput {}

  static EmbedInput text(String text) {
    return new Text(text);
  }

  static EmbedInput image(byte[] bytes) {
    return new Image(bytes);
  }
}
