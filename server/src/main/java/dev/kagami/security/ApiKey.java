package dev.kagami.security;

import java.time.Instant;
import java.util.Optional;

/** A stored key: never its secret, only who it is, its role, and when it was made or revoked. */
public record ApiKey(String id, String name, Role role, String prefix, Instant createdAt, String createdBy,
    Optional<Instant> revokedAt) {

  public boolean active() {
    return revokedAt.isEmpty();
  }
}
