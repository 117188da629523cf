package dev.kagami.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeTempFilesTest {

  @Test
  void stale_onnx_runtime_folders_are_removed_and_nothing_else(@TempDir Path tmp) throws IOException {
    Path stale = Files.createDirectories(tmp.resolve("onnxruntime-java123"));
    Files.write(stale.resolve("libonnxruntime.so"), new byte[1024]);
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    Path fresh = Files.createDirectories(tmp.resolve("onnxruntime-java456")); // a process unpacking right now
    Path other = Files.createDirectories(tmp.resolve("onnxruntime-javaX"));
    Files.setLastModifiedTime(other, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    Path file = Files.write(tmp.resolve("onnxruntime-java789"), new byte[1]);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofHours(1))));

    assertThat(NativeTempFiles.removeStale(tmp, Duration.ofMinutes(5))).isEqualTo(1);
    assertThat(stale).doesNotExist();
    assertThat(fresh).exists();
    assertThat(other).exists();
    assertThat(file).exists();
  }
}
