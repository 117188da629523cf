package dev.kagami.registry;

import dev.kagami.error.KagamiException.BackendUnavailable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A package folder's identity: SHA-256 over every regular file's relative path and content, in path order,
 * and the total size. Two folders with the same files have the same checksum wherever they lie.
 */
public record PackageFingerprint(String checksum, long sizeBytes) {

  public static PackageFingerprint of(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> files = walk.filter(Files::isRegularFile).sorted().toList();
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      long size = 0;
      byte[] buf = new byte[1 << 16];
      for (Path f : files) {
        sha.update(dir.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        try (InputStream in = Files.newInputStream(f)) {
          for (int n; (n = in.read(buf)) > 0; ) {
            sha.update(buf, 0, n);
            size += n;
          }
        }
      }
      return new PackageFingerprint(HexFormat.of().formatHex(sha.digest()), size);
    } catch (IOException e) {
      throw new BackendUnavailable("cannot read the model package " + dir + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
