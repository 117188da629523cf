package dev.kagami.persistence;

import dev.kagami.error.KagamiException.BackendUnavailable;
import java.sql.SQLException;

/** How the repositories report failures: a database that fails is {@link BackendUnavailable} (UNAVAILABLE / 503). */
final class Sql {

  private Sql() {}

  /**
   * {@code what} failed because of {@code e}: a database error is an outage the caller may retry; anything
   * else (a statement the database refuses as wrong, a stored value that no longer reads) is a defect
   * and stays internal.
   */
  static RuntimeException failure(String what, Exception e) {
    if (e instanceof SQLException sql && !defect(sql)) {
      return new BackendUnavailable("the database is unavailable: cannot " + what + " (" + e.getMessage() + ")", e);
    }
    return new IllegalStateException("cannot " + what + ": " + e.getMessage(), e);
  }

  /**
   * Whether the statement itself was wrong (SQLSTATE classes 22 data exception, 23 integrity constraint,
   * 42 syntax or access rule): a defect of Kagami's, which retrying cannot mend. Anything else (lost
   * connections, a database that is closed, out of resources or shutting down) is an outage.
   */
  static boolean defect(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23") || state.startsWith("42"));
  }
}
