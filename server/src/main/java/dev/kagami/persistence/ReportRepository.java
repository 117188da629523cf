package dev.kagami.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Evaluation reports in the relational store (table {@code evaluation_reports}); every report is kept. The
 * store holds each report as its JSON document beside the columns it is looked up by; turning reports into
 * JSON and back is the evaluation package's business ({@code evaluation.ReportStore}), not this one's.
 */
public final class ReportRepository {

  private final DataSource ds;

  public ReportRepository(DataSource ds) {
    this.ds = ds;
  }

  public void save(StoredReport r) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO evaluation_reports (id, created_at, model, dataset, split, report) VALUES (?,?,?,?,?,?)")) {
      ps.setString(1, r.id());
      ps.setTimestamp(2, Timestamp.from(r.createdAt()));
      ps.setString(3, r.model());
      ps.setString(4, r.dataset());
      ps.setString(5, r.split());
      ps.setString(6, r.json());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Sql.failure("store report " + r.id(), e);
    }
  }

  /** The JSON document of report {@code id}. */
  public Optional<String> get(String id) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT report FROM evaluation_reports WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw Sql.failure("read report " + id, e);
    }
  }

  /** The JSON documents of the reports, newest first, optionally of one dataset and/or model (null for any). */
  public List<String> list(String dataset, String model, int limit) {
    return column("report", dataset, model, limit);
  }

  /** The ids of the reports {@link #list} returns, in the same order. */
  public List<String> ids(String dataset, String model, int limit) {
    return column("id", dataset, model, limit);
  }

  private List<String> column(String column, String dataset, String model, int limit) {
    StringBuilder sql = new StringBuilder("SELECT " + column + " FROM evaluation_reports WHERE 1 = 1");
    if (dataset != null) {
      sql.append(" AND dataset = ?");
    }
    if (model != null) {
      sql.append(" AND model = ?");
    }
    sql.append(" ORDER BY created_at DESC, id");
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = 1;
      if (dataset != null) {
        ps.setString(i++, dataset);
      }
      if (model != null) {
        ps.setString(i, model);
      }
      ps.setMaxRows(Math.max(1, limit));
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Sql.failure("list reports", e);
    }
  }
}
