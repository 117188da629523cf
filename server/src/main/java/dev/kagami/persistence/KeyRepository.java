package dev.kagami.persistence;

import dev.kagami.security.ApiKey;
import dev.kagami.security.AuditEntry;
import dev.kagami.security.Role;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** API keys (table {@code api_keys}, by the SHA-256 of their secret) and the audit log ({@code audit_log}). */
public final class KeyRepository {

  private static final String COLUMNS = "id, name, role, prefix, created_at, created_by, revoked_at";

  private final DataSource ds;

  public KeyRepository(DataSource ds) {
    this.ds = ds;
  }

  /** Stores a new key; false when its name is taken. */
  public boolean insert(ApiKey k, String secretSha256) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO api_keys (" + COLUMNS
        + ", secret_sha256) VALUES (?,?,?,?,?,?,?,?)")) {
      ps.setString(1, k.id());
      ps.setString(2, k.name());
      ps.setString(3, k.role().name());
      ps.setString(4, k.prefix());
      ps.setTimestamp(5, Timestamp.from(k.createdAt()));
      ps.setString(6, k.createdBy());
      ps.setTimestamp(7, null);
      ps.setString(8, secretSha256);
      ps.executeUpdate();
      return true;
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
        return false; // unique constraint: the name (or, never in practice, the secret) exists
      }
      throw Sql.failure("store key " + k.name(), e);
    }
  }

  public Optional<ApiKey> bySecret(String secretSha256) {
    return one("SELECT " + COLUMNS + " FROM api_keys WHERE secret_sha256 = ?", secretSha256);
  }

  public Optional<ApiKey> byId(String id) {
    return one("SELECT " + COLUMNS + " FROM api_keys WHERE id = ?", id);
  }

  public List<ApiKey> list() {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
        + " FROM api_keys ORDER BY created_at, name")) {
      List<ApiKey> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(key(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Sql.failure("list keys", e);
    }
  }

  /** Keys not revoked. */
  public long activeCount() {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw Sql.failure("count keys", e);
    }
  }

  /** Revokes {@code id}; false when there is no such key or it was revoked before. */
  public boolean revoke(String id, Instant at) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setString(2, id);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw Sql.failure("revoke key " + id, e);
    }
  }

  public void audit(Instant at, String actor, String action, String outcome, String detail) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO audit_log (at, actor, action, outcome, detail) VALUES (?,?,?,?,?)")) {
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setString(2, cut(actor, 128));
      ps.setString(3, cut(action, 256));
      ps.setString(4, cut(outcome, 64));
      ps.setString(5, cut(detail, 1000));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Sql.failure("write the audit log", e);
    }
  }

  /** The newest {@code limit} audit entries, newest first. */
  public List<AuditEntry> auditLog(int limit) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT id, at, actor, action, outcome, detail FROM audit_log ORDER BY id DESC")) {
      ps.setMaxRows(limit);
      List<AuditEntry> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AuditEntry(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Sql.failure("read the audit log", e);
    }
  }

  private Optional<ApiKey> one(String sql, String arg) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(key(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw Sql.failure("read a key", e);
    }
  }

  private static ApiKey key(ResultSet rs) throws SQLException {
    Timestamp revoked = rs.getTimestamp(7);
    return new ApiKey(rs.getString(1), rs.getString(2), Role.valueOf(rs.getString(3)), rs.getString(4),
        rs.getTimestamp(5).toInstant(), rs.getString(6), Optional.ofNullable(revoked).map(Timestamp::toInstant));
  }

  private static String cut(String s, int max) {
    String v = s == null ? "" : s;
    return v.length() <= max ? v : v.substring(0, max);
  }
}
