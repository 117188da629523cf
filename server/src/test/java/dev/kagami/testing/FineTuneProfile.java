package dev.kagami.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A server whose model repository is a fresh copy of the tiny package (fine-tuning runs write new
 * versions into the repository; the committed one must stay as it is) and whose runs live under target/.
 */
public class FineTuneProfile implements QuarkusTestProfile {

  public static final Path REPOSITORY = Path.of("target/test-data/ft-models").toAbsolutePath();
  public static final Path RUNS = Path.of("target/test-data/ft-runs").toAbsolutePath();

  private static boolean prepared;

  @Override
  public Map<String, String> getConfigOverrides() {
    prepare();
    return Map.of("kagami.model.repository", REPOSITORY.toString(), "kagami.finetune.runs", RUNS.toString(),
        "quarkus.datasource.jdbc.url", "jdbc:h2:mem:kagami-ft;DB_CLOSE_DELAY=-1",
        // the model lifecycle tests follow alias moves made "by another replica" and wait for a lagging one
        "kagami.registry.poll-interval", "200ms", "kagami.registry.replica-timeout", "2s",
        // the run tests call RunManager.poll themselves (several managers share one database there)
        "kagami.finetune.poll-interval", "0");
  }

  /** Once per test JVM: the profile may be asked for its configuration again while its server runs. */
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
