package dev.kagami.registry;

import java.time.Instant;
import java.util.Map;

/**
 * A server sharing the registry's database, as its last heartbeat told: which generation of each alias it
 * serves ({@code alias -> generation}) and the version under it ({@code alias -> name/version}).
 */
public record Replica(String id, String host, Instant startedAt, Instant lastSeen, Map<String, Long> generations,
    Map<String, String> versions) {

  public Replica {
    generations = Map.copyOf(generations);
    versions = Map.copyOf(versions);
  }

  /** The heartbeat's {@code serving} column: {@code alias=name/version@generation}, comma-separated. */
  public String serving() {
    StringBuilder b = new StringBuilder();
    new java.util.TreeMap<>(generations).forEach((a, g) -> {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(a).append('=').append(versions.getOrDefault(a, "")).append('@').append(g);
    });
    return b.toString();
  }

  /** Parses {@link #serving()}. */
  public static Replica of(String id, String host, Instant startedAt, Instant lastSeen, String serving) {
    Map<String, Long> gens = new java.util.HashMap<>();
    Map<String, String> versions = new java.util.HashMap<>();
    for (String part : serving.split(",")) {
      int eq = part.indexOf('=');
      int at = part.lastIndexOf('@');
      if (eq > 0 && at > eq) {
        gens.put(part.substring(0, eq), Long.parseLong(part.substring(at + 1)));
        versions.put(part.substring(0, eq), part.substring(eq + 1, at));
      }
    }
    return new Replica(id, host, startedAt, lastSeen, gens, versions);
  }
}
