package dev.kagami.index;

import dev.kagami.error.KagamiException.InvalidInput;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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

  /** Most metadata fields an item may have. */
  public static final int MAX_FIELDS = 64;
  /**
   * Longest text metadata value, in UTF-8 bytes. Lucene indexes each value as one term (at most 32,766
   * bytes); the limit is well below it, so every value that passes is one both stores can take.
   */
  public static final int MAX_TEXT_VALUE_BYTES = 8192;
  /** Longest item id, in characters (code points). */
  public static final int MAX_ID_CHARS = 512;

  /**
   * A whole upsert batch, before anything of it is written or logged: every item is checked completely,
   * so the write-ahead log never holds an operation the store cannot apply. The message names the item (by
   * its place in the batch and its id) and the field.
   */
  public static void checkItems(List<IndexedItem> items, int dimension) {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      IndexedItem it = items.get(i);
      String where = "item " + i;
      checkId(where, it.id());
      where = "item " + i + " ('" + it.id() + "')";
      if (!ids.add(it.id())) {
        throw new InvalidInput(where + " appears twice in one upsert");
      }
      checkVector("vector of item '" + it.id() + "'", it.vector(), dimension);
      if (it.metadata().size() > MAX_FIELDS) {
        throw new InvalidInput(where + " has " + it.metadata().size() + " metadata fields; at most " + MAX_FIELDS);
      }
      for (var e : it.metadata().entrySet()) {
        checkFieldName(e.getKey());
        String field = where + ", metadata field '" + e.getKey() + "'";
        if (e.getValue() instanceof FieldValue.Str str) {
          checkText(field, str.value());
        } else if (e.getValue() instanceof FieldValue.Num n && !Double.isFinite(n.value())) {
          throw new InvalidInput(field + " is " + n.value() + "; numbers must be finite");
        }
      }
    }
  }

  /** An item id: 1-512 characters, no control characters, well-formed Unicode, not Kagami's own prefix. */
  public static void checkId(String where, String id) {
    int chars = id.codePointCount(0, id.length());
    if (id.isEmpty() || chars > MAX_ID_CHARS) {
      throw new InvalidInput(where + ": ids must be 1-" + MAX_ID_CHARS + " characters, this one has " + chars);
    }
    if (id.startsWith("_kagami")) {
      throw new InvalidInput(where + ": ids must not start with '_kagami' (reserved): '" + id + "'");
    }
    for (int k = 0; k < id.length(); ) {
      int cp = id.codePointAt(k);
      if (Character.isISOControl(cp)) {
        throw new InvalidInput(where + ": the id has a control character (U+" + String.format("%04X", cp) + ") at "
            + id.codePointCount(0, k));
      }
      if (Character.isSurrogate((char) cp)) {
        throw new InvalidInput(where + ": the id is not well-formed Unicode (a lone surrogate)");
      }
      k += Character.charCount(cp);
    }
  }

  private static void checkFieldName(String k) {
    if (!FIELD.matcher(k).matches()) {
      throw new InvalidInput("metadata field names must be 1-100 letters, digits, '.', '_' or '-': '" + k + "'");
    }
  }

  private static void checkText(String field, String value) {
    int bytes = 0;
    for (int k = 0; k < value.length(); ) {
      int cp = value.codePointAt(k);
      if (Character.isSurrogate((char) cp)) {
        throw new InvalidInput(field + " is not well-formed Unicode (a lone surrogate)");
      }
      bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      k += Character.charCount(cp);
    }
    if (bytes > MAX_TEXT_VALUE_BYTES) {
      throw new InvalidInput(field + " is " + bytes + " bytes of UTF-8; at most " + MAX_TEXT_VALUE_BYTES);
    }
  }

  /**
   * A search filter against the metadata kinds the collection holds ({@code kinds}: field name to the kinds
   * its values have, over all items): equality and set clauses need a text field, ranges a number field; a
   * field no item has, an empty set and an empty range are refused, since they could only ever match nothing.
   * The clauses' own shape (field names, empty sets and ranges) is checked first, so {@code kindsOf} (asked
   * for the kinds of the filtered fields; it may cost a request to the store) only ever sees valid names.
   */
  public static void checkFilter(Filter filter,
      java.util.function.Function<Set<String>, Map<String, Set<FieldValue.Kind>>> kindsOf) {
    if (filter.clauses().isEmpty()) {
      return;
    }
    Set<String> fields = new java.util.LinkedHashSet<>();
    for (Filter.Clause c : filter.clauses()) {
      String f = c.field();
      checkFieldName(f);
      if (c instanceof Filter.In in && in.values().isEmpty()) {
        throw new InvalidInput("filter on '" + f + "': the set of values is empty");
      }
      if (c instanceof Filter.Range r && (Double.isNaN(r.min()) || Double.isNaN(r.max()) || r.min() > r.max())) {
        throw new InvalidInput("range on '" + f + "' is empty or NaN: [" + r.min() + ", " + r.max() + "]");
      }
      fields.add(f);
    }
    Map<String, Set<FieldValue.Kind>> kinds = kindsOf.apply(fields);
    for (Filter.Clause c : filter.clauses()) {
      String f = c.field();
      FieldValue.Kind wanted = c instanceof Filter.Range ? FieldValue.Kind.NUMBER : FieldValue.Kind.TEXT;
      Set<FieldValue.Kind> has = kinds.getOrDefault(f, Set.of());
      if (has.isEmpty()) {
        throw new InvalidInput("filter on '" + f + "': no item of the collection has a metadata field '" + f + "'");
      }
      if (!has.contains(wanted)) {
        throw new InvalidInput("filter on '" + f + "': " + (wanted == FieldValue.Kind.NUMBER
            ? "a range needs a number field, '" + f + "' holds text"
            : "equality and set filters need a text field, '" + f + "' holds numbers"));
      }
    }
  }
}
