package dev.kagami.persistence;

import java.nio.file.Path;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.io.TempDir;

/** The repositories on an H2 file database, as Kagami uses by default. */
class H2RepositoryTest extends RepositoryContract {

  @TempDir
  static Path dir;

  private JdbcDataSource ds;

  @Override
  DataSource dataSource() {
    if (ds == null) {
      ds = new JdbcDataSource();
      ds.setURL("jdbc:h2:file:" + dir.resolve("kagami") + ";DB_CLOSE_DELAY=-1");
      ds.setUser("sa");
    }
    return ds;
  }
}
