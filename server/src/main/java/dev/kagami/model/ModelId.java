package dev.kagami.model;

import dev.kagami.error.KagamiException.InvalidInput;

/**
 * A model version's id: a name and a version, each letters, digits, '.', '_' and '-' (not starting with
 * '.'), written {@code name/version}. An empty version means "the version that serves under this name".
 */
public record ModelId(String name, String version) {

  private static final String PART = "[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}";

  public ModelId {
    if (name == null || !name.matches(PART)) {
      throw new InvalidInput("a model name is 1-200 letters, digits, '.', '_' or '-' (not starting with '.'): '" + name + "'");
    }
    version = version == null ? "" : version;
    if (!version.isEmpty() && !version.matches(PART)) {
      throw new InvalidInput("a model version is 1-200 letters, digits, '.', '_' or '-' (not starting with '.'): '"
          + version + "'");
    }
  }

  /** Parses {@code name/version} (or {@code name}). */
  public static ModelId parse(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidInput("a model is written name/version; it is empty");
    }
    int slash = text.indexOf('/');
    return slash < 0 ? new ModelId(text, "") : new ModelId(text.substring(0, slash), text.substring(slash + 1));
  }

  @Override
  public String toString() {
    return version.isEmpty() ? name : name + "/" + version;
  }
}
