package dev.kagami.index;

import java.util.List;
import java.util.Set;

/** Metadata conditions a hit must meet, all of them (AND). */
public record Filter(List<Clause> clauses) {

  public static final Filter NONE = new Filter(List.of());

  public Filter {
    clauses = List.copyOf(clauses);
  }

  /** One condition on a metadata field. */
  public sealed interface Clause {
    String field();
  }

  /** The string field equals {@code value}. */
  public record Equals(String field, String value) implements Clause {}

  /** The string field is one of {@code values}. */
  public record In(String field, Set<String> values) implements Clause {
    public In {
      values = Set.copyOf(values);
    }
  }

  /** The numeric field is in [{@code min}, {@code max}] (inclusive; use infinities for open ends). */
  public record Range(String field, double min, double max) implements Clause {}
}
