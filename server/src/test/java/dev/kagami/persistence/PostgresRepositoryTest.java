package dev.kagami.persistence;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
}
