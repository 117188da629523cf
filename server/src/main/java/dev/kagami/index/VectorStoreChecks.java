package dev.kagami.index;

import dev.kagami.error.KagamiException.InvalidInput;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The input checks every {@link VectorStore} makes, in one place, so both stores refuse the same input the same way. */
public final class VectorStoreChecks {

  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");
  static final Pattern FIELD = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

  private VectorStoreChecks() {}

  /** A collection or alias name: 1-100 letters, digits, '_' or '-'. */
  public static void checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidInput(what + " name must be 1-100 letters, digits, '_' or '-': '" + name + "'");
    }
  }

  public static void checkDimension(int dimension) {
    if (dimension < 1 || dimension > 1024) {
      throw new InvalidInput("dimension must be in 1..1024 (Lucene's HNSW limit), is " + dimension);
    }
  }

  /** A vector of the collection's dimension, finite, of unit length (within 1e-3). */
  public static void checkVector(String what, float[] v, int dimension) {
    if (v == null || v.length != dimension) {
      throw new InvalidInput(what + " has dimension " + (v == null ? 0 : v.length) + ", the collection's is " + dimension);
    }
    double n = 0;
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw new InvalidInput(what + " has a non-finite value");
      }
      n += (double) x * x;
    }
    if (Math.abs(Math.sqrt(n) - 1) > 1e-3) {
      throw new InvalidInput(what + " is not unit length (norm " + (float) Math.sqrt(n) + ")");
    }
  }

  /** A whole upsert batch, before anything of it is written. */
  public static void checkItems(List<IndexedItem> items, int dimension) {
    Set<String> ids = new HashSet<>();
    for (IndexedItem it : items) {
      if (it.id().isEmpty() || it.id().length() > 512 || it.id().startsWith("_kagami")) {
        throw new InvalidInput("item ids must be 1-512 characters and not start with '_kagami': '" + it.id() + "'");
      }
      if (!ids.add(it.id())) {
        throw new InvalidInput("item '" + it.id() + "' appears twice in one upsert");
      }
      checkVector("vector of item '" + it.id() + "'", it.vector(), dimension);
      it.metadata().keySet().forEach(k -> {
        if (!FIELD.matcher(k).matches()) {
          throw new InvalidInput("metadata field names must be 1-100 letters, digits, '.', '_' or '-': '" + k + "'");
        }
      });
    }
  }
}
