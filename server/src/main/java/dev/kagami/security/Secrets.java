package dev.kagami.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Key secrets: {@code kgm_} and 43 base64url characters (32 random bytes), stored as their SHA-256. A value
 * that does not have that shape is malformed before any lookup.
 */
public final class Secrets {

  public static final String PREFIX = "kgm_";
  static final int RANDOM_BYTES = 32;
  private static final java.util.regex.Pattern SHAPE = java.util.regex.Pattern.compile("kgm_[A-Za-z0-9_-]{43}");

  private final SecureRandom random;

  public Secrets(SecureRandom random) {
    this.random = random;
  }

  public String generate() {
    byte[] b = new byte[RANDOM_BYTES];
    random.nextBytes(b);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static boolean wellFormed(String secret) {
    return secret != null && SHAPE.matcher(secret).matches();
  }

  public static String sha256(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** What is shown of a key to tell it apart: its first characters. */
  public static String prefixOf(String secret) {
    return secret.substring(0, 12);
  }
}
