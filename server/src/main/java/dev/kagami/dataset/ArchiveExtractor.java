package dev.kagami.dataset;

import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.error.KagamiException.InvalidInput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Unpacks an uploaded zip into a new folder, safely: an entry whose name is absolute or leads out of the
 * folder ({@code ..}) refuses the whole archive, as do more than {@link Limits#maxEntries()} entries or more
 * than {@link Limits#maxExpandedBytes()} unpacked bytes (a zip bomb). The archive is unpacked into a hidden
 * temporary folder first and moved into place in one step, so a folder either holds the whole archive or
 * does not exist.
 */
public final class ArchiveExtractor {

  /** The bounds an archive must stay within. */
  public record Limits(int maxEntries, long maxExpandedBytes) {}

  private final Limits limits;

  public ArchiveExtractor(Limits limits) {
    this.limits = limits;
  }

  /** Unpacks {@code zip} into {@code parent/name} (which must not exist) and returns that folder. */
  public Path extract(InputStream zip, Path parent, String name) {
    Path target = parent.resolve(name);
    Path tmp = parent.resolve(".upload-" + UUID.randomUUID());
    try {
      Files.createDirectories(parent);
      if (Files.exists(target)) {
        throw new InvalidInput("an upload named '" + name + "' exists already");
      }
      Files.createDirectory(tmp);
      int entries = 0;
      long bytes = 0;
      byte[] buf = new byte[64 * 1024];
      try (ZipInputStream in = new ZipInputStream(zip)) {
        for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
          if (++entries > limits.maxEntries()) {
            throw new InvalidInput("the archive has more than " + limits.maxEntries() + " entries");
          }
          Path out = inside(tmp, e.getName());
          if (e.isDirectory()) {
            Files.createDirectories(out);
            continue;
          }
          Files.createDirectories(out.getParent());
          try (OutputStream os = Files.newOutputStream(out)) {
            for (int n; (n = in.read(buf)) > 0; ) {
              bytes += n;
              if (bytes > limits.maxExpandedBytes()) {
                throw new InvalidInput("the archive unpacks to more than " + limits.maxExpandedBytes() + " bytes");
              }
              os.write(buf, 0, n);
            }
          }
        }
      } catch (ZipException e) {
        throw new InvalidInput("the upload is not a readable zip archive: " + e.getMessage(), e);
      }
      if (entries == 0) {
        throw new InvalidInput("the upload is empty or not a zip archive");
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new BackendUnavailable("cannot unpack the upload into " + parent + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /** The entry's path under {@code root}; refused when it is absolute or leads out. */
  static Path inside(Path root, String entry) {
    String n = entry.replace('\\', '/');
    if (n.startsWith("/") || n.matches("^[A-Za-z]:.*") || n.isEmpty()) {
      throw new InvalidInput("the archive entry '" + entry + "' has an absolute path");
    }
    Path p = root.resolve(n).normalize();
    if (!p.startsWith(root) || p.equals(root)) {
      throw new InvalidInput("the archive entry '" + entry + "' leads out of the archive");
    }
    return p;
  }

  /** Removes a folder tree; used for what a failed upload left. */
  public static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort: what remains is a hidden .upload- folder, never read as an upload
        }
      });
    } catch (IOException e) {
      // as above
    }
  }
}
