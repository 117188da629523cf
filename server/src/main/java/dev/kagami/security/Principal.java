package dev.kagami.security;

/** Who makes a call: a key's name and role, or the local user while auth is off. */
public record Principal(String name, Role role, boolean authenticated) {

  /** Every call while auth is off (no keys, loopback only). */
  public static final Principal LOCAL = new Principal("local (auth off)", Role.ADMIN, false);

  /** A public call (health) made without a key. */
  public static final Principal NOBODY = new Principal("anonymous", Role.READER, false);
}
