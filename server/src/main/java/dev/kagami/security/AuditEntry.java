package dev.kagami.security;

import java.time.Instant;

/** One admin action: who (the key's name), what (the RPC or route and its target), when, and how it ended. */
public record AuditEntry(long id, Instant at, String actor, String action, String outcome, String detail) {}
