package dev.kagami.persistence;

import dev.kagami.registry.Replica;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** The replicas' heartbeats (table {@code replicas}). */
public final class ReplicaRepository {

  private final DataSource ds;

  public ReplicaRepository(DataSource ds) {
    this.ds = ds;
  }

  /** Writes {@code r}'s heartbeat (the row is created on the first one). */
  public void heartbeat(Replica r) {
    try (Connection c = ds.getConnection()) {
      try (PreparedStatement up = c.prepareStatement("UPDATE replicas SET last_seen = ?, serving = ? WHERE id = ?")) {
        up.setTimestamp(1, Timestamp.from(r.lastSeen()));
        up.setString(2, r.serving());
        up.setString(3, r.id());
        if (up.executeUpdate() == 1) {
          return;
        }
      }
      try (PreparedStatement ins = c.prepareStatement(
          "INSERT INTO replicas (id, host, started_at, last_seen, serving) VALUES (?,?,?,?,?)")) {
        ins.setString(1, r.id());
        ins.setString(2, r.host());
        ins.setTimestamp(3, Timestamp.from(r.startedAt()));
        ins.setTimestamp(4, Timestamp.from(r.lastSeen()));
        ins.setString(5, r.serving());
        ins.executeUpdate();
      }
    } catch (SQLException e) {
      throw Sql.failure("write the heartbeat of " + r.id(), e);
    }
  }

  /** Replicas seen at or after {@code since}. */
  public List<Replica> seenSince(Instant since) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT id, host, started_at, last_seen, serving FROM replicas WHERE last_seen >= ? ORDER BY id")) {
      ps.setTimestamp(1, Timestamp.from(since));
      List<Replica> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Replica.of(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getTimestamp(4).toInstant(),
              rs.getString(5)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Sql.failure("read the replicas", e);
    }
  }

  /** Removes {@code id} (a replica that stops cleanly is no longer waited for). */
  public void remove(String id) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM replicas WHERE id = ?")) {
      ps.setString(1, id);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Sql.failure("remove replica " + id, e);
    }
  }
}
