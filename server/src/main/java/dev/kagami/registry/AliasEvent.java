package dev.kagami.registry;

import dev.kagami.model.ModelId;
import java.time.Instant;
import java.util.Optional;

/**
 * One move of an alias, as the audit log keeps it: who moved it, when, from which version to which, why,
 * and what the promotion gate said (and whether an admin overrode it).
 */
public record AliasEvent(long id, String alias, Kind kind, Optional<ModelId> from, ModelId to, long generation, String actor,
    String reason, Optional<GateVerdict> verdict, boolean overridden, Instant at) {

  public enum Kind {
    /** The alias was created (at first start, from the configured model). */
    INITIAL,
    /** Moved to a version through the gate. */
    PROMOTE,
    /** Moved back to the version it pointed at before its last move. */
    ROLLBACK
  }
}
