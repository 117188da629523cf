package dev.kagami.registry;

import dev.kagami.model.ModelId;
import java.time.Instant;

/** An alias and the version it points at; {@code generation} grows by one with every move. */
public record ModelAlias(String alias, ModelId target, long generation, Instant updatedAt) {

  /** The alias {@code Embed} and {@code Search} use when a request names no model. */
  public static final String PRODUCTION = "production";
}
