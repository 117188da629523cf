package dev.kagami.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/** Fine-tuning runs and their validation history (tables {@code finetune_runs}, {@code finetune_run_history}). */
public final class RunRepository {

  private static final TypeReference<Map<String, Double>> DOUBLES = new TypeReference<>() {};
  private static final String COLUMNS = "id, created_at, updated_at, state, config, seed, dataset, base_model, stage, step, "
      + "total_steps, result_model, base_report_id, tuned_report_id, error, timings";

  private final DataSource ds;
  private final ObjectMapper json = new ObjectMapper();

  public RunRepository(DataSource ds) {
    this.ds = ds;
  }

  /** Columns a run is created with and never changes. */
  private static final List<String> FIXED = List.of("id", "created_at", "config", "seed", "dataset", "base_model");
  /** Columns {@link #update} rewrites, in the order {@link #bindChanging} binds them. */
  private static final List<String> CHANGING = List.of("updated_at", "state", "stage", "step", "total_steps",
      "result_model", "base_report_id", "tuned_report_id", "error", "timings");

  /** Stores a new run (its history is not written here). */
  public void create(StoredRun r) {
    String columns = String.join(", ", FIXED) + ", " + String.join(", ", CHANGING);
    String marks = String.join(",", java.util.Collections.nCopies(FIXED.size() + CHANGING.size(), "?"));
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO finetune_runs (" + columns + ") VALUES (" + marks + ")")) {
      ps.setString(1, r.id());
      ps.setTimestamp(2, Timestamp.from(r.createdAt()));
      ps.setString(3, r.config());
      ps.setLong(4, r.seed());
      ps.setString(5, r.dataset());
      ps.setString(6, r.baseModel());
      bindChanging(ps, FIXED.size() + 1, r);
      ps.executeUpdate();
    } catch (SQLException | JsonProcessingException e) {
      throw Sql.failure("store run " + r.id(), e);
    }
  }

  /** Updates state, progress and outcome (everything but id, creation, configuration and history). */
  public void update(StoredRun r) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE finetune_runs SET " + String.join(" = ?, ", CHANGING) + " = ? WHERE id = ?")) {
      bindChanging(ps, 1, r);
      ps.setString(CHANGING.size() + 1, r.id());
      if (ps.executeUpdate() != 1) {
        throw new dev.kagami.error.KagamiException.NotFound("no run " + r.id());
      }
    } catch (SQLException | JsonProcessingException e) {
      throw Sql.failure("update run " + r.id(), e);
    }
  }

  /** Binds the {@link #CHANGING} columns from parameter {@code first} on. */
  private void bindChanging(PreparedStatement ps, int first, StoredRun r) throws SQLException, JsonProcessingException {
    int i = first;
    ps.setTimestamp(i++, Timestamp.from(r.updatedAt()));
    ps.setString(i++, r.state().name());
    ps.setString(i++, r.stage());
    ps.setInt(i++, r.step());
    ps.setInt(i++, r.totalSteps());
    setNullable(ps, i++, r.resultModel());
    setNullable(ps, i++, r.baseReportId());
    setNullable(ps, i++, r.tunedReportId());
    setNullable(ps, i++, truncate(r.error()));
    ps.setString(i, json.writeValueAsString(r.timings()));
  }

  /** Appends a point to a run's history. */
  public void addPoint(String runId, StoredRun.Point p) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO finetune_run_history (run_id, seq, at, stage, step, loss, kpis, best) "
            + "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM finetune_run_history WHERE run_id = ?), ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, runId);
      ps.setString(2, runId);
      ps.setTimestamp(3, Timestamp.from(p.at()));
      ps.setString(4, p.stage());
      ps.setInt(5, p.step());
      if (p.loss() == null || !Double.isFinite(p.loss())) {
        ps.setNull(6, Types.DOUBLE);
      } else {
        ps.setDouble(6, p.loss());
      }
      ps.setString(7, json.writeValueAsString(p.kpis()));
      ps.setBoolean(8, p.best());
      ps.executeUpdate();
    } catch (SQLException | JsonProcessingException e) {
      throw Sql.failure("store the history of run " + runId, e);
    }
  }

  public Optional<StoredRun> get(String id) {
    List<StoredRun> r = query("WHERE id = ?", id, 1, true);
    return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
  }

  /** Runs, newest first, without their history. */
  public List<StoredRun> list(int limit) {
    return query("", null, limit, false);
  }

  /** Takes a QUEUED run for this process (QUEUED -> RUNNING); false when another process took or ended it. */
  public boolean claim(String id) {
    return conditional("UPDATE finetune_runs SET state = 'RUNNING', updated_at = ? WHERE id = ? AND state = 'QUEUED'", id, null);
  }

  /** Ends a run nobody has taken yet (QUEUED -> CANCELLED); false when it was taken or had ended. */
  public boolean cancelQueued(String id, String why) {
    return conditional("UPDATE finetune_runs SET state = 'CANCELLED', updated_at = ?, error = ? WHERE id = ? AND state = 'QUEUED'",
        id, why);
  }

  /** Asks the process training {@code id} to cancel it (it reads {@link #cancelRequested} as it polls). */
  public void requestCancel(String id) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE finetune_runs SET cancel_requested = TRUE WHERE id = ?")) {
      ps.setString(1, id);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Sql.failure("request the cancellation of run " + id, e);
    }
  }

  public boolean cancelRequested(String id) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT cancel_requested FROM finetune_runs WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw Sql.failure("read run " + id, e);
    }
  }

  private boolean conditional(String sql, String id, String text) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setTimestamp(i++, Timestamp.from(Instant.now()));
      if (text != null) {
        ps.setString(i++, text);
      }
      ps.setString(i, id);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw Sql.failure("update run " + id, e);
    }
  }

  /** Runs that were queued or running when the process stopped: the ones to resume. */
  public List<StoredRun> unfinished() {
    return query("WHERE state IN ('QUEUED', 'RUNNING')", null, 10_000, false);
  }

  private List<StoredRun> query(String where, String arg, int limit, boolean history) {
    String sql = "SELECT " + COLUMNS + " FROM finetune_runs " + where + " ORDER BY created_at DESC, id";
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      if (arg != null) {
        ps.setString(1, arg);
      }
      ps.setMaxRows(Math.max(1, limit));
      List<StoredRun> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String id = rs.getString(1);
          out.add(new StoredRun(id, rs.getTimestamp(2).toInstant(), rs.getTimestamp(3).toInstant(), dev.kagami.job.JobState.valueOf(rs.getString(4)),
              rs.getString(5), rs.getLong(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getInt(10),
              rs.getInt(11), rs.getString(12), rs.getString(13), rs.getString(14), rs.getString(15),
              json.readValue(rs.getString(16), DOUBLES), history ? history(c, id) : List.of()));
        }
      }
      return out;
    } catch (SQLException | JsonProcessingException e) {
      throw Sql.failure("read runs", e);
    }
  }

  private List<StoredRun.Point> history(Connection c, String id) throws SQLException, JsonProcessingException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT at, stage, step, loss, kpis, best FROM finetune_run_history WHERE run_id = ? ORDER BY seq")) {
      ps.setString(1, id);
      List<StoredRun.Point> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          double value = rs.getDouble(4);
          Double loss = rs.wasNull() ? null : value; // wasNull speaks of the column read last
          out.add(new StoredRun.Point(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getInt(3), loss,
              json.readValue(rs.getString(5), DOUBLES), rs.getBoolean(6)));
        }
      }
      return out;
    }
  }

  private static void setNullable(PreparedStatement ps, int i, String v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, v);
    }
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 4000 ? s : s.substring(0, 3997) + "...";
  }
}
