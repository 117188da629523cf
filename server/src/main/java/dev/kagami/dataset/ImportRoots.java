package dev.kagami.dataset;

import dev.kagami.error.KagamiException.InvalidInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The folders an import may read from ({@code kagami.dataset.import-roots}). A path is allowed when it lies
 * under a root both as written (after {@code ..} is resolved) and as the file system resolves it (every
 * symbolic link followed), so neither {@code ..} nor a link inside a root leads out. A refusal says the
 * same for every path outside the roots, whether it exists or not, so it tells nothing about other files.
 */
public final class ImportRoots {

  /** The roots as configured (absolute, normalised). */
  private final List<Path> roots;
  /** The same with every link resolved, for the check of where a path really leads. */
  private final List<Path> realRoots;
  private final boolean any;

  private ImportRoots(List<Path> roots, List<Path> realRoots, boolean any) {
    this.roots = roots;
    this.realRoots = realRoots;
    this.any = any;
  }

  /** Only under {@code roots} (relative ones against the working folder). */
  public static ImportRoots of(List<Path> roots) {
    List<Path> abs = new ArrayList<>();
    List<Path> real = new ArrayList<>();
    for (Path r : roots) {
      Path a = r.toAbsolutePath().normalize();
      abs.add(a);
      try {
        real.add(a.toRealPath());
      } catch (IOException e) {
        real.add(a); // a root that does not exist yet: nothing under it can be read until it does
      }
    }
    return new ImportRoots(List.copyOf(abs), List.copyOf(real), false);
  }

  /** Everything the process can read: for the command-line tools, run by a user on their own files. */
  public static ImportRoots any() {
    return new ImportRoots(List.of(), List.of(), true);
  }

  public List<Path> roots() {
    return roots;
  }

  /**
   * {@code requested} as an absolute, normalised path, if it is allowed; {@link InvalidInput} otherwise.
   * A path under a root that does not exist is allowed here (the importer then says it is missing).
   */
  public Path check(Path requested) {
    if (any) {
      return requested;
    }
    if (!requested.isAbsolute()) {
      throw new InvalidInput("import paths must be absolute, under one of the import roots " + roots);
    }
    Path p = requested.normalize();
    if (!allowed(p)) {
      throw refused();
    }
    return p;
  }

  /** Whether an item's file may be read: under a root as written and once links are followed. */
  public boolean allowed(Path file) {
    if (any) {
      return true;
    }
    Path p = file.toAbsolutePath().normalize();
    if (roots.stream().noneMatch(p::startsWith) && realRoots.stream().noneMatch(p::startsWith)) {
      return false;
    }
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return true; // nothing there to escape through
    }
    try {
      Path real = p.toRealPath();
      return realRoots.stream().anyMatch(real::startsWith);
    } catch (IOException e) {
      return false; // a dangling link: it points nowhere it may
    }
  }

  InvalidInput refused() {
    return new InvalidInput("the path is not under an import root; imports read only under " + roots
        + " (kagami.dataset.import-roots)");
  }
}
