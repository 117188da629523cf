package dev.kagami.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The Lucene store's alias file: alias = collection lines (a properties file), replaced atomically. */
final class AliasFile {

  private AliasFile() {}

  static Map<String, String> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Map.of();
    }
    java.util.Properties p = new java.util.Properties();
    try (java.io.Reader r = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> m = new HashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return Map.copyOf(m);
  }

  /** Writes the alias file atomically: a temporary file, fsynced, renamed over the old one, directory fsynced. */
  static void write(Path root, String name, Map<String, String> next) throws IOException {
    java.util.Properties p = new java.util.Properties();
    p.putAll(next);
    Path tmp = root.resolve(name + ".tmp");
    try (java.io.Writer w = Files.newBufferedWriter(tmp, java.nio.charset.StandardCharsets.UTF_8)) {
      p.store(w, "Kagami collection aliases: alias=collection");
    }
    org.apache.lucene.util.IOUtils.fsync(tmp, false);
    Files.move(tmp, root.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    org.apache.lucene.util.IOUtils.fsync(root, true);
  }
}
