package dev.kagami.training;

import dev.kagami.error.KagamiException.BackendUnavailable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stage's folder in a run: a finished stage leaves {@code done} (its best step) and its best weights
 * ({@code best-<step>.pt}); a stage without {@code done} runs (resuming from its checkpoint, if any).
 */
final class StageDirectory {

  private StageDirectory() {}

static int bestStep(Path bestFile) {
  return Integer.parseInt(bestFile.getFileName().toString().replaceAll("^best-|\\.pt$", ""));
}

/** A stage's work: trains and returns the step of its best validation. */
interface Work {
  int run() throws IOException;
}

/** Runs a stage unless its {@code done} marker says it finished; returns its best weights. */
static Path run(Path dir, Work work) {
  try {
    Path done = dir.resolve("done");
    if (!Files.isRegularFile(done)) {
      Files.createDirectories(dir);
      int best = work.run();
      Path tmp = dir.resolve("done.tmp");
      Files.writeString(tmp, Integer.toString(best), StandardCharsets.UTF_8);
      Files.move(tmp, done, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      // earlier best files: kept until now, since a checkpoint may still have named one of them
      try (java.util.stream.Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          String n = f.getFileName().toString();
          if (n.startsWith("best-") && n.endsWith(".pt") && !n.equals("best-" + best + ".pt")) {
            Files.delete(f);
          }
        }
      }
    }
    return dir.resolve("best-" + Files.readString(done, StandardCharsets.UTF_8).strip() + ".pt");
  } catch (IOException e) {
    throw new BackendUnavailable("stage folder " + dir + ": " + e.getMessage(), e);
  }
}
}
