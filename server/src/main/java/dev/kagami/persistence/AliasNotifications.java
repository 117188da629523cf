package dev.kagami.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Alias moves pushed to the other replicas, on PostgreSQL: {@link ModelRepository#move} sends a
 * {@code NOTIFY} on {@link #CHANNEL} in the move's transaction (delivered when it commits), and a replica
 * that {@link #listen}s on a connection of its own follows at once instead of at its next poll. Polling
 * stays as the fallback (a notification sent while a listener reconnects is lost; the poll catches it).
 * H2 has no notifications: {@link #supported()} is false there.
 */
public final class AliasNotifications {

  /** The channel alias moves are announced on; the payload is {@code alias:generation}. */
  public static final String CHANNEL = "kagami_aliases";

  private final DataSource ds;
  private volatile Boolean postgres;

  public AliasNotifications(DataSource ds) {
    this.ds = ds;
  }

  /** Whether the database delivers notifications (PostgreSQL). */
  public boolean supported() {
    Boolean p = postgres;
    if (p == null) {
      try (Connection c = ds.getConnection()) {
        p = isPostgres(c);
      } catch (SQLException e) {
        throw Sql.failure("read the database's product name", e);
      }
      postgres = p;
    }
    return p;
  }

  static boolean isPostgres(Connection c) throws SQLException {
    return "PostgreSQL".equalsIgnoreCase(c.getMetaData().getDatabaseProductName());
  }

  /**
   * Listens on {@link #CHANNEL} and runs {@code onMove} once for every batch of notifications, until
   * {@code stop} says so (checked at least every {@code wait}) or the thread is interrupted. A lost
   * connection is opened again after {@code wait}.
   */
  public void listen(Runnable onMove, BooleanSupplier stop, Duration wait) {
    int waitMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, wait.toMillis()));
    while (!stop.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!stop.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
          PGNotification[] got = pg.getNotifications(waitMs);
          if (got != null && got.length > 0) {
            onMove.run();
          }
        }
      } catch (SQLException e) {
        if (stop.getAsBoolean()) {
          return;
        }
        try {
          Thread.sleep(waitMs);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
