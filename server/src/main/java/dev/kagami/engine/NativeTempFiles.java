package dev.kagami.engine;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;
import org.apache.lucene.util.IOUtils;

/**
 * ONNX Runtime's Java binding unpacks its native libraries (about 20 MB) into a fresh folder
 * {@code onnxruntime-java<digits>} of {@code java.io.tmpdir} at every start and deletes it at a normal exit;
 * a process killed with SIGKILL leaves it behind. At start-up Kagami removes those folders that are older
 * than a few minutes: a library that a running process has loaded stays mapped after its file is deleted,
 * so only a process still unpacking right now (younger than the threshold) needs its folder.
 */
public final class NativeTempFiles {

  static final Pattern ORT_FOLDER = Pattern.compile("onnxruntime-java\\d+");

  private NativeTempFiles() {}

  /** Deletes the stale ONNX Runtime folders in {@code tmpdir}; returns how many. */
  public static int removeStale(Path tmpdir, Duration olderThan) {
    int removed = 0;
    Instant cutoff = Instant.now().minus(olderThan);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmpdir,
        p -> ORT_FOLDER.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))) {
      for (Path d : dirs) {
        try {
          if (Files.getLastModifiedTime(d).toInstant().isBefore(cutoff)) {
            IOUtils.rm(d);
            removed++;
          }
        } catch (IOException e) {
          // another process's, or already gone: not ours to insist on
        }
      }
    } catch (IOException e) {
      return removed;
    }
    return removed;
  }
}
