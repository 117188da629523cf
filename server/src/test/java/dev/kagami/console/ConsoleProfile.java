package dev.kagami.console;

import dev.kagami.testing.Fixtures;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The server as a console user meets it, on the tiny fixture model: the admin console built by Quinoa (with
 * its Vitest unit tests run as part of the build), a fresh model repository and database of its own.
 */
public class ConsoleProfile implements QuarkusTestProfile {

  static final Path REPOSITORY = Path.of("target/test-data/console-models").toAbsolutePath();
  static final Path RUNS = Path.of("target/test-data/console-runs").toAbsolutePath();

  private static boolean prepared;

  @Override
  public Map<String, String> getConfigOverrides() {
    prepare();
    return Map.of("quarkus.quinoa", "true", "quarkus.quinoa.run-tests", "true",
        "kagami.model.repository", REPOSITORY.toString(), "kagami.finetune.runs", RUNS.toString(),
        "quarkus.datasource.jdbc.url", "jdbc:h2:mem:kagami-console;DB_CLOSE_DELAY=-1",
        "kagami.evaluation.embedding-cache", "target/test-data/console-cache");
  }

  private static synchronized void prepare() {
    if (prepared) {
      return;
    }
    prepared = true;
    try {
      Fixtures.freshRepository(REPOSITORY, RUNS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
