package dev.kagami.finetune;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelPackage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * How a new version of a model package is written (fine-tuned, quantized): its name checked, built in a
 * hidden {@code .<version>.partial} folder beside it, and made visible in one rename, so a half-written
 * version is never seen and a failed one leaves nothing.
 */
public final class PackageVersions {

  private PackageVersions() {}

  /** The folder of {@code base}'s new version {@code version}; refused when the name is bad or the version exists. */
  static Path target(ModelPackage base, Path repository, String version) {
    if (!version.matches("[A-Za-z0-9._-]{1,64}") || version.equals(base.manifest().version())) {
      throw new InvalidInput("new version must be 1-64 letters, digits, '.', '_' or '-' and differ from the base's: '"
          + version + "'");
    }
    Path target = repository.resolve(base.manifest().name()).resolve(version);
    if (Files.exists(target)) {
      throw new InvalidInput("model " + base.manifest().name() + "/" + version + " exists already");
    }
    return target;
  }

  /** The hidden folder {@code target} is built in before {@link #publish}. */
  static Path partialFolder(Path target) {
    return target.resolveSibling("." + target.getFileName() + ".partial");
  }

  /** Makes {@code tmp} an empty folder (a leftover of an earlier failed write is removed). */
  static void clear(Path tmp) throws IOException {
    if (Files.exists(tmp)) {
      deleteTree(tmp);
    }
    Files.createDirectories(tmp);
  }

  /** Renames the finished {@code tmp} to {@code target} and makes the rename itself durable. */
  static void publish(Path tmp, Path target) throws IOException {
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    try (java.nio.channels.FileChannel dir = java.nio.channels.FileChannel.open(target.getParent(),
        java.nio.file.StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  /** Removes what is left of {@code tmp} after a write; a leftover is removed by the next write of that version. */
  static void discard(Path tmp) {
    if (Files.exists(tmp)) {
      try {
        deleteTree(tmp);
      } catch (IOException e) {
        // see above
      }
    }
  }

  /** Deletes {@code dir} and everything under it. */
  public static void deleteTree(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
