package dev.kagami.security;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** A server that requires keys (as one bound beyond loopback does), on a database of its own. */
public class AuthProfile implements QuarkusTestProfile {
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("kagami.auth.mode", "required", "quarkus.datasource.jdbc.url", "jdbc:h2:mem:kagami-auth;DB_CLOSE_DELAY=-1");
  }
}
