package dev.kagami.index;

import dev.kagami.error.KagamiException.NotFound;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Images kept by content: {@code root/<first two hex digits>/<sha256>}. A write is durable when it returns
 * (written to a temporary file, fsynced, atomically renamed), so an index entry that refers to an image is
 * never acknowledged before the image is safe. Reference format: {@code sha256:<hex>}.
 */
public final class ImageStore {

  private final Path root;

  public ImageStore(Path root) {
    this.root = root;
  }

  public String put(byte[] bytes) {
    String sha;
    try {
      sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path target = path(sha);
    if (Files.exists(target)) {
      return "sha256:" + sha;
    }
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), sha, ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
        dir.force(true); // the rename itself
      } catch (IOException e) {
        // some file systems cannot fsync a directory; the data file itself is synced
      }
      return "sha256:" + sha;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep image " + sha + ": " + e.getMessage(), e);
    }
  }

  public byte[] get(String ref) {
    if (!ref.startsWith("sha256:") || !ref.substring(7).matches("[0-9a-f]{64}")) {
      throw new NotFound("not an image reference of this store: '" + ref + "'");
    }
    Path p = path(ref.substring(7));
    try {
      return Files.readAllBytes(p);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new NotFound("image " + ref + " is not in the store");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path path(String sha) {
    return root.resolve(sha.substring(0, 2)).resolve(sha);
  }
}
