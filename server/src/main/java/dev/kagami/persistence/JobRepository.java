package dev.kagami.persistence;

import dev.kagami.error.ErrorKind;
import dev.kagami.error.Failure;
import dev.kagami.job.Job;
import dev.kagami.job.JobId;
import dev.kagami.job.JobKind;
import dev.kagami.job.JobProgress;
import dev.kagami.job.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Durable jobs (table {@code jobs}). A database failure is UNAVAILABLE ({@link Sql}). */
public final class JobRepository {

  private static final String COLUMNS = "id, kind, state, created_at, updated_at, request, stage, done, total, eta_seconds, "
      + "result, error_kind, error";

  private final DataSource ds;

  public JobRepository(DataSource ds) {
    this.ds = ds;
  }

  public void create(Job j) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO jobs (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      ps.setString(1, j.id().value());
      ps.setString(2, j.kind().name());
      ps.setString(3, j.state().name());
      ps.setTimestamp(4, Timestamp.from(j.createdAt()));
      ps.setTimestamp(5, Timestamp.from(j.updatedAt()));
      ps.setString(6, j.request());
      bindProgressAndOutcome(ps, 7, j);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Sql.failure("store job " + j.id(), e);
    }
  }

  /** Rewrites state, progress and outcome (kind, creation and request never change). */
  public void update(Job j) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE jobs SET state = ?, updated_at = ?, stage = ?, done = ?, total = ?, eta_seconds = ?, result = ?, "
            + "error_kind = ?, error = ? WHERE id = ?")) {
      ps.setString(1, j.state().name());
      ps.setTimestamp(2, Timestamp.from(j.updatedAt()));
      bindProgressAndOutcome(ps, 3, j);
      ps.setString(10, j.id().value());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Sql.failure("update job " + j.id(), e);
    }
  }

  private static void bindProgressAndOutcome(PreparedStatement ps, int first, Job j) throws SQLException {
    int i = first;
    ps.setString(i++, truncate(j.progress().stage(), 200));
    ps.setLong(i++, j.progress().done());
    ps.setLong(i++, j.progress().total());
    ps.setDouble(i++, Double.isFinite(j.progress().etaSeconds()) ? j.progress().etaSeconds() : -1);
    if (j.result() == null) {
      ps.setNull(i++, Types.VARCHAR);
    } else {
      ps.setString(i++, j.result());
    }
    if (j.failure() == null) {
      ps.setNull(i++, Types.VARCHAR);
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i++, j.failure().kind().name());
      ps.setString(i, truncate(j.failure().message(), 4000));
    }
  }

  public Optional<Job> find(JobId id) {
    List<Job> r = query("WHERE id = ?", List.of(id.value()), 1);
    return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
  }

  /** Jobs, newest first; {@code kind} and {@code state} filter when not null. */
  public List<Job> list(JobKind kind, JobState state, int limit) {
    List<String> where = new ArrayList<>();
    List<String> args = new ArrayList<>();
    if (kind != null) {
      where.add("kind = ?");
      args.add(kind.name());
    }
    if (state != null) {
      where.add("state = ?");
      args.add(state.name());
    }
    return query(where.isEmpty() ? "" : "WHERE " + String.join(" AND ", where), args, limit);
  }

  /** Jobs that were queued or running when the process stopped. */
  public List<Job> unfinished() {
    return query("WHERE state IN ('QUEUED', 'RUNNING')", List.of(), 100_000);
  }

  private List<Job> query(String where, List<String> args, int limit) {
    String sql = "SELECT " + COLUMNS + " FROM jobs " + where + " ORDER BY created_at DESC, id";
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.size(); i++) {
        ps.setString(i + 1, args.get(i));
      }
      ps.setMaxRows(Math.max(1, limit));
      List<Job> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String errorKind = rs.getString(12);
          out.add(new Job(new JobId(rs.getString(1)), JobKind.valueOf(rs.getString(2)), JobState.valueOf(rs.getString(3)),
              rs.getTimestamp(4).toInstant(), rs.getTimestamp(5).toInstant(), rs.getString(6),
              new JobProgress(rs.getString(7), rs.getLong(8), rs.getLong(9), rs.getDouble(10)), rs.getString(11),
              errorKind == null ? null : new Failure(ErrorKind.valueOf(errorKind), rs.getString(13))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Sql.failure("read jobs", e);
    }
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
