package dev.kagami.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImageRefResolver;
import dev.kagami.dataset.Skipped;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.error.KagamiException.FailedPrecondition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Datasets in the relational store (tables {@code datasets}, {@code dataset_items}, {@code dataset_skipped},
 * see db/migration). Plain JDBC; every write is one transaction, so a dataset is stored whole or not at all.
 */
public final class DatasetRepository {

  /** A row of the dataset list. */
  public record Summary(String id, String name, String source, Instant createdAt, int items, int classes, int skipped) {}

  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private final DataSource ds;
  private final ImageRefResolver resolver;
  private final ObjectMapper json = new ObjectMapper();

  public DatasetRepository(DataSource ds, ImageRefResolver resolver) {
    this.ds = ds;
    this.resolver = resolver;
  }

  /** Splits {@code d} by {@code spec} and stores it under its name, which must be new. */
  public StoredDataset save(Dataset d, Splits.Spec spec) {
    Map<String, Split> splits = spec.assign(d);
    String id = UUID.randomUUID().toString();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (exists(c, d.name())) {
          throw new FailedPrecondition("a dataset named '" + d.name() + "' exists already");
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO datasets (id, name, source, created_at, split_seed, "
            + "split_kind, train_fraction, validation_fraction, test_fraction, classes) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
          ps.setString(1, id);
          ps.setString(2, d.name());
          ps.setString(3, d.source());
          ps.setTimestamp(4, Timestamp.from(now));
          ps.setLong(5, spec.seed());
          ps.setString(6, spec.kind());
          ps.setDouble(7, spec.fractions().train());
          ps.setDouble(8, spec.fractions().validation());
          ps.setDouble(9, spec.fractions().test());
          ps.setString(10, json.writeValueAsString(d.classes()));
          ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO dataset_items (dataset_id, item_id, seq, label, split, "
            + "image_ref, captions, metadata) VALUES (?,?,?,?,?,?,?,?)")) {
          int seq = 0;
          for (DatasetItem it : d.items()) {
            ps.setString(1, id);
            ps.setString(2, it.id());
            ps.setInt(3, seq++);
            ps.setString(4, it.label());
            ps.setString(5, splits.get(it.id()).name());
            ps.setString(6, it.source().ref());
            ps.setString(7, json.writeValueAsString(it.captions()));
            ps.setString(8, json.writeValueAsString(it.metadata()));
            ps.addBatch();
            if (seq % 1000 == 0) {
              ps.executeBatch();
            }
          }
          ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO dataset_skipped (dataset_id, seq, ref, reason) VALUES (?,?,?,?)")) {
          int seq = 0;
          for (Skipped s : d.skipped()) {
            ps.setString(1, id);
            ps.setInt(2, seq++);
            ps.setString(3, truncate(s.ref()));
            ps.setString(4, truncate(s.reason()));
            ps.addBatch();
          }
          ps.executeBatch();
        }
        c.commit();
      } catch (SQLException | JsonProcessingException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException | JsonProcessingException e) {
      throw Sql.failure("store dataset " + d.name(), e);
    }
    return new StoredDataset(id, now, d, spec, splits);
  }

  private static String truncate(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 1997) + "...";
  }

  private static boolean exists(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM datasets WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  public Optional<StoredDataset> find(String name) {
    try (Connection c = ds.getConnection()) {
      String id;
      Instant created;
      String source;
      Splits.Spec spec;
      try (PreparedStatement ps = c.prepareStatement("SELECT id, created_at, source, split_kind, split_seed, train_fraction, "
          + "validation_fraction, test_fraction FROM datasets WHERE name = ?")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          id = rs.getString(1);
          created = rs.getTimestamp(2).toInstant();
          source = rs.getString(3);
          spec = new Splits.Spec(rs.getString(4), rs.getLong(5),
              new Splits.Fractions(rs.getDouble(6), rs.getDouble(7), rs.getDouble(8)));
        }
      }
      List<DatasetItem> items = new ArrayList<>();
      Map<String, Split> splits = new HashMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT item_id, label, split, image_ref, captions, metadata "
          + "FROM dataset_items WHERE dataset_id = ? ORDER BY seq")) {
        ps.setString(1, id);
        ps.setFetchSize(1000);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            DatasetItem it = new DatasetItem(rs.getString(1), rs.getString(2), json.readValue(rs.getString(5), STRINGS),
                json.readValue(rs.getString(6), STRING_MAP), resolver.resolve(rs.getString(4)));
            items.add(it);
            splits.put(it.id(), Split.valueOf(rs.getString(3)));
          }
        }
      }
      List<Skipped> skipped = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT ref, reason FROM dataset_skipped WHERE dataset_id = ? ORDER BY seq")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            skipped.add(new Skipped(rs.getString(1), rs.getString(2)));
          }
        }
      }
      return Optional.of(new StoredDataset(id, created, Dataset.of(name, source, items, skipped), spec, splits));
    } catch (SQLException | JsonProcessingException e) {
      throw Sql.failure("read dataset " + name, e);
    }
  }

  public List<Summary> list() {
    String sql = "SELECT d.id, d.name, d.source, d.created_at, d.classes, "
        + "(SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id), "
        + "(SELECT COUNT(*) FROM dataset_skipped s WHERE s.dataset_id = d.id) FROM datasets d ORDER BY d.created_at, d.name";
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      List<Summary> out = new ArrayList<>();
      while (rs.next()) {
        out.add(new Summary(rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant(),
            rs.getInt(6), json.readValue(rs.getString(5), STRINGS).size(), rs.getInt(7)));
      }
      return out;
    } catch (SQLException | JsonProcessingException e) {
      throw Sql.failure("list datasets", e);
    }
  }

  public boolean delete(String name) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM datasets WHERE name = ?")) {
      ps.setString(1, name);
      return ps.executeUpdate() > 0;
    } catch (SQLException e) {
      throw Sql.failure("delete dataset " + name, e);
    }
  }
}
