package dev.kagami.persistence;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.model.ModelId;
import dev.kagami.registry.AliasEvent;
import dev.kagami.registry.GateRules;
import dev.kagami.registry.GateVerdict;
import dev.kagami.registry.ModelAlias;
import dev.kagami.registry.ModelVersion;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The model registry's tables: versions (insert-only), aliases with their generation, the audit log of
 * alias moves, and the gate's rules per alias. An alias moves by compare-and-set on its generation, in the
 * same transaction as its audit row, so two admins (or two replicas) cannot both move it from one state.
 */
public final class ModelRepository {

  private static final String VERSION_COLUMNS = "name, version, layout, dimension, checksum, size_bytes, engines, origin, run_id, "
      + "base_model, method, dataset, parity, description, created_by, created_at";

  private final DataSource ds;
  private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();

  public ModelRepository(DataSource ds) {
    this.ds = ds;
  }

  /**
   * Registers {@code v}. Registering the same files again is a no-op that returns the stored row; a version
   * of the same id with other files is refused (versions never change).
   */
  public ModelVersion register(ModelVersion v) {
    Optional<ModelVersion> existing = version(v.id());
    if (existing.isPresent()) {
      if (!existing.get().checksum().equals(v.checksum())) {
        throw new FailedPrecondition("model " + v.id() + " is registered with other files (checksum "
            + existing.get().checksum().substring(0, 12) + "..., now " + v.checksum().substring(0, 12)
            + "...); a registered version never changes: give the new files a new version");
      }
      return existing.get();
    }
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO model_versions (" + VERSION_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      ps.setString(1, v.id().name());
      ps.setString(2, v.id().version());
      ps.setString(3, v.layout());
      ps.setInt(4, v.dimension());
      ps.setString(5, v.checksum());
      ps.setLong(6, v.sizeBytes());
      ps.setString(7, String.join(",", v.engines()));
      ps.setString(8, v.origin().name());
      ps.setString(9, v.lineage().map(ModelVersion.Lineage::runId).orElse(null));
      ps.setString(10, v.lineage().map(l -> l.base().toString()).orElse(null));
      ps.setString(11, v.lineage().map(ModelVersion.Lineage::method).orElse(null));
      ps.setString(12, v.lineage().map(ModelVersion.Lineage::dataset).orElse(null));
      if (v.parity().isPresent()) {
        ps.setDouble(13, v.parity().get());
      } else {
        ps.setNull(13, Types.DOUBLE);
      }
      ps.setString(14, v.description().length() > 4000 ? v.description().substring(0, 4000) : v.description());
      ps.setString(15, v.createdBy());
      ps.setTimestamp(16, Timestamp.from(v.createdAt()));
      ps.executeUpdate();
      return v;
    } catch (SQLException e) {
      throw Sql.failure("register model " + v.id(), e);
    }
  }

  public Optional<ModelVersion> version(ModelId id) {
    List<ModelVersion> l = versions("WHERE name = ? AND version = ?", id.name(), id.version());
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** Every version, by name, newest first within a name. */
  public List<ModelVersion> versions() {
    return versions("");
  }

  private List<ModelVersion> versions(String where, String... args) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT " + VERSION_COLUMNS + " FROM model_versions " + where + " ORDER BY name, created_at DESC, version")) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      List<ModelVersion> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String runId = rs.getString(9);
          Optional<ModelVersion.Lineage> lineage = runId == null ? Optional.empty() : Optional.of(new ModelVersion.Lineage(runId,
              ModelId.parse(rs.getString(10)), rs.getString(11), rs.getString(12)));
          double parity = rs.getDouble(13);
          Optional<Double> p = rs.wasNull() ? Optional.empty() : Optional.of(parity);
          String engines = rs.getString(7);
          out.add(new ModelVersion(new ModelId(rs.getString(1), rs.getString(2)), rs.getString(3), rs.getInt(4), rs.getString(5),
              rs.getLong(6), engines.isEmpty() ? List.of() : Arrays.asList(engines.split(",")),
              ModelVersion.Origin.valueOf(rs.getString(8)), lineage, p, rs.getString(14), rs.getString(15),
              rs.getTimestamp(16).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Sql.failure("read model versions", e);
    }
  }

  public void delete(ModelId id) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "DELETE FROM model_versions WHERE name = ? AND version = ?")) {
      ps.setString(1, id.name());
      ps.setString(2, id.version());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Sql.failure("delete model " + id, e);
    }
  }

  public Optional<ModelAlias> alias(String alias) {
    List<ModelAlias> l = aliases("WHERE alias = ?", alias);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  public List<ModelAlias> aliases() {
    return aliases("");
  }

  private List<ModelAlias> aliases(String where, String... args) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT alias, name, version, generation, updated_at FROM model_aliases " + where + " ORDER BY alias")) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      List<ModelAlias> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new ModelAlias(rs.getString(1), new ModelId(rs.getString(2), rs.getString(3)), rs.getLong(4),
              rs.getTimestamp(5).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Sql.failure("read model aliases", e);
    }
  }

  /**
   * Moves {@code e.alias()} to {@code e.to()} if its generation is still {@code e.generation() - 1} (0: the
   * alias does not exist yet), and appends {@code e} to the audit log, in one transaction.
   *
   * @throws FailedPrecondition when the alias moved meanwhile (its generation is no longer the expected one)
   */
  public ModelAlias move(AliasEvent e) {
    Instant now = e.at();
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        int changed;
        if (e.generation() == 1) {
          try (PreparedStatement ps = c.prepareStatement(
              "INSERT INTO model_aliases (alias, name, version, generation, updated_at) VALUES (?,?,?,?,?)")) {
            ps.setString(1, e.alias());
            ps.setString(2, e.to().name());
            ps.setString(3, e.to().version());
            ps.setLong(4, 1);
            ps.setTimestamp(5, Timestamp.from(now));
            changed = ps.executeUpdate();
          } catch (SQLException dup) {
            if (!Sql.defect(dup)) {
              throw dup;
            }
            changed = 0; // another writer created it first
          }
        } else {
          try (PreparedStatement ps = c.prepareStatement(
              "UPDATE model_aliases SET name = ?, version = ?, generation = ?, updated_at = ? WHERE alias = ? AND generation = ?")) {
            ps.setString(1, e.to().name());
            ps.setString(2, e.to().version());
            ps.setLong(3, e.generation());
            ps.setTimestamp(4, Timestamp.from(now));
            ps.setString(5, e.alias());
            ps.setLong(6, e.generation() - 1);
            changed = ps.executeUpdate();
          }
        }
        if (changed != 1) {
          c.rollback();
          throw new FailedPrecondition("alias '" + e.alias() + "' was moved by someone else meanwhile (expected generation "
              + (e.generation() - 1) + "); look at it again and retry");
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_alias_events (alias, kind, from_model, to_model, "
            + "generation, actor, reason, verdict, overridden, at) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
          ps.setString(1, e.alias());
          ps.setString(2, e.kind().name());
          ps.setString(3, e.from().map(ModelId::toString).orElse(null));
          ps.setString(4, e.to().toString());
          ps.setLong(5, e.generation());
          ps.setString(6, e.actor());
          ps.setString(7, e.reason());
          ps.setString(8, e.verdict().isPresent() ? json.writeValueAsString(e.verdict().get()) : null);
          ps.setBoolean(9, e.overridden());
          ps.setTimestamp(10, Timestamp.from(now));
          ps.executeUpdate();
        }
        if (AliasNotifications.isPostgres(c)) { // the other replicas follow when this commits (AliasNotifications)
          try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, AliasNotifications.CHANNEL);
            ps.setString(2, e.alias() + ":" + e.generation());
            ps.executeQuery().close();
          }
        }
        c.commit();
        return new ModelAlias(e.alias(), e.to(), e.generation(), now);
      } catch (SQLException | IOException | RuntimeException x) {
        c.rollback();
        throw x;
      }
    } catch (SQLException | IOException x) {
      throw Sql.failure("move alias " + e.alias(), x);
    }
  }

  /** The alias's moves, newest first (all aliases when {@code alias} is null). */
  public List<AliasEvent> events(String alias, int limit) {
    String sql = "SELECT id, alias, kind, from_model, to_model, generation, actor, reason, verdict, overridden, at "
        + "FROM model_alias_events" + (alias == null ? "" : " WHERE alias = ?") + " ORDER BY id DESC";
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      if (alias != null) {
        ps.setString(1, alias);
      }
      ps.setMaxRows(Math.max(1, limit));
      List<AliasEvent> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String from = rs.getString(4);
          String verdict = rs.getString(9);
          out.add(new AliasEvent(rs.getLong(1), rs.getString(2), AliasEvent.Kind.valueOf(rs.getString(3)),
              from == null ? Optional.empty() : Optional.of(ModelId.parse(from)), ModelId.parse(rs.getString(5)), rs.getLong(6),
              rs.getString(7), rs.getString(8),
              verdict == null ? Optional.empty() : Optional.of(json.readValue(verdict, GateVerdict.class)), rs.getBoolean(10),
              rs.getTimestamp(11).toInstant()));
        }
      }
      return out;
    } catch (SQLException | IOException e) {
      throw Sql.failure("read the alias log", e);
    }
  }

  public Optional<GateRules> gateRules(String alias) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT min_map_gain, text_tolerance, max_class_ap_drop, max_latency_p99_ms, require_parity FROM gate_rules WHERE alias = ?")) {
      ps.setString(1, alias);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new GateRules(rs.getDouble(1), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4),
            rs.getBoolean(5))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw Sql.failure("read the gate rules of " + alias, e);
    }
  }

  public void setGateRules(String alias, GateRules r) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement del = c.prepareStatement("DELETE FROM gate_rules WHERE alias = ?");
          PreparedStatement ins = c.prepareStatement("INSERT INTO gate_rules (alias, min_map_gain, text_tolerance, "
              + "max_class_ap_drop, max_latency_p99_ms, require_parity) VALUES (?,?,?,?,?,?)")) {
        del.setString(1, alias);
        del.executeUpdate();
        ins.setString(1, alias);
        ins.setDouble(2, r.minMapGain());
        ins.setDouble(3, r.textTolerance());
        ins.setDouble(4, r.maxClassApDrop());
        ins.setDouble(5, r.maxLatencyP99Ms());
        ins.setBoolean(6, r.requireParity());
        ins.executeUpdate();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw Sql.failure("store the gate rules of " + alias, e);
    }
  }
}
