package dev.kagami.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The repositories on a real PostgreSQL server. .ci/run starts one (.ci/postgres.sh) and sets
 * KAGAMI_TEST_POSTGRES_URL; in CI (CI=true) a missing URL fails the run rather than skipping.
 */
class PostgresRepositoryTest extends RepositoryContract {

  static String url;

  @BeforeAll
  static void url() {
    url = System.getenv("KAGAMI_TEST_POSTGRES_URL");
    if (url == null && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("CI=true but KAGAMI_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL");
    }
    assumeTrue(url != null, "KAGAMI_TEST_POSTGRES_URL not set (run .ci/postgres.sh and export what it prints)");
  }

  @Override
  DataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    return ds;
  }

  @Test
  void an_alias_move_is_announced_to_a_listener_when_it_commits() throws Exception {
    AliasNotifications notes = new AliasNotifications(dataSource());
    assertThat(notes.supported()).isTrue();
    CountDownLatch heard = new CountDownLatch(2);
    AtomicBoolean stop = new AtomicBoolean();
    Thread t = new Thread(() -> notes.listen(heard::countDown, stop::get, Duration.ofMillis(100)));
    t.start();
    try {
      Thread.sleep(500); // the listener's LISTEN is in place
      assertThat(heard.getCount()).as("nothing announced yet").isEqualTo(2);
      models.move(move("production", null, "m/1", 1));
      Thread.sleep(300);
      models.move(move("production", "m/1", "m/2", 2));
      assertThat(heard.await(10, TimeUnit.SECONDS)).as("both moves announced").isTrue();
    } finally {
      stop.set(true);
      t.join(5000);
    }
    assertThat(t.isAlive()).isFalse();
  }
}
