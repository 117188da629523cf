package dev.kagami.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/** How an unpacked upload is laid out: where its classes (or manifest) are. */
final class UploadLayout {

  private UploadLayout() {}

  /** The folder that holds the classes: the top, or the one folder the top holds alone (as zips of a folder are). */
  static Path root(Path dir) {
    List<Path> top = visible(dir);
    if (top.size() == 1 && Files.isDirectory(top.get(0)) && manifest(dir).isEmpty()) {
      return top.get(0);
    }
    return dir;
  }

  /** The manifest at the top of {@code root}, if there is exactly one. */
  static Optional<Path> manifest(Path root) {
    List<Path> m = visible(root).stream().filter(Files::isRegularFile).filter(p -> {
      String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
      return n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".csv");
    }).toList();
    return m.size() == 1 ? Optional.of(m.get(0)) : Optional.empty();
  }

  /** Entries of a folder, without hidden ones and the {@code __MACOSX} folder macOS adds to zips. */
  private static List<Path> visible(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.getFileName().toString().startsWith(".") && !p.getFileName().toString().equals("__MACOSX"))
          .sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
