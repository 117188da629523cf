package dev.kagami.app;

import dev.kagami.config.KagamiConfig;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.error.KagamiException.PermissionDenied;
import dev.kagami.error.KagamiException.Unauthenticated;
import dev.kagami.persistence.KeyRepository;
import dev.kagami.security.AccessPolicy;
import dev.kagami.security.ApiKey;
import dev.kagami.security.AuditEntry;
import dev.kagami.security.Principal;
import dev.kagami.security.Role;
import dev.kagami.security.Secrets;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * API keys and what each call may do: decides at start whether keys are required (see
 * {@link KagamiConfig.Auth}), checks a call's key against {@link AccessPolicy}, creates and revokes keys, and
 * keeps the audit log of admin actions.
 */
@ApplicationScoped
public class AuthService {

  private static final Logger LOG = Logger.getLogger(AuthService.class);
  static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** A key just made: the only time its secret is seen. */
  public record CreatedKey(ApiKey key, String secret) {}

  private record Cached(ApiKey key, long expiresAtNanos) {}

  private final KeyRepository keys;
  private final KagamiConfig.Auth config;
  private final Secrets secrets = new Secrets(new java.security.SecureRandom());
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private final boolean loopbackOnly;
  private volatile boolean required;

  public AuthService(KeyRepository keys, KagamiConfig config,
      @ConfigProperty(name = "quarkus.http.host", defaultValue = "0.0.0.0") String httpHost,
      @ConfigProperty(name = "quarkus.grpc.server.host", defaultValue = "0.0.0.0") String grpcHost) {
    this.keys = keys;
    this.config = config.auth();
    this.loopbackOnly = loopback(httpHost) && loopback(grpcHost);
  }

  static boolean loopback(String host) {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** What a server does at start about keys. */
  public enum Start { KEYS_REQUIRED, OFF_ON_LOOPBACK, GENERATE_ADMIN_KEY }

  /** The protected-mode rule: keys if any exist; none and loopback only (AUTO): off; otherwise make an admin key. */
  static Start decide(long activeKeys, KagamiConfig.Auth.Mode mode, boolean loopbackOnly) {
    if (activeKeys > 0) {
      return Start.KEYS_REQUIRED;
    }
    return mode == KagamiConfig.Auth.Mode.AUTO && loopbackOnly ? Start.OFF_ON_LOOPBACK : Start.GENERATE_ADMIN_KEY;
  }

  void onStart(@Observes @Priority(100) StartupEvent ev) {
    long active = keys.activeCount();
    switch (decide(active, config.mode(), loopbackOnly)) {
      case KEYS_REQUIRED -> {
        required = true;
        LOG.info("API keys are required (" + active + " active)");
      }
      case OFF_ON_LOOPBACK -> {
        required = false;
        LOG.warn("\n*** AUTH IS OFF: no API key exists and the server listens on loopback only, so every local caller is "
            + "admin. Create a key (POST /api/v1/keys, or bin/kagami-keys create) to turn auth on; a server bound to "
            + "another address never runs without keys. ***");
      }
      case GENERATE_ADMIN_KEY -> {
        required = true;
        CreatedKey k = create("bootstrap-admin-" + Instant.now().getEpochSecond(), Role.ADMIN, "server start");
        LOG.warn("\n*** No API key existed, so an admin key was generated. It is shown this once; store it now:\n    "
            + k.secret() + "\n    (name " + k.key().name() + "; revoke it with DELETE /api/v1/keys/" + k.key().id()
            + " after making your own) ***");
      }
    }
  }

  public boolean required() {
    return required;
  }

  /**
   * Who may make {@code call} with {@code secret} (null: none given). Throws Unauthenticated for a missing,
   * malformed, unknown or revoked key where one is needed, PermissionDenied for a role below the call's.
   */
  public Principal authorize(String call, String secret) {
    Optional<Role> need = AccessPolicy.required(call);
    if (need == null) {
      throw new PermissionDenied(call + " is not in the access table, so no key may call it");
    }
    if (need.isEmpty()) {
      return Principal.NOBODY;
    }
    if (!required) {
      return Principal.LOCAL;
    }
    if (secret == null || secret.isEmpty()) {
      throw new Unauthenticated("an API key is required: send 'authorization: Bearer kgm_...'");
    }
    if (!Secrets.wellFormed(secret)) {
      throw new Unauthenticated("the API key is malformed (a key is kgm_ and 43 characters)");
    }
    ApiKey k = lookup(secret);
    if (!k.role().allows(need.get())) {
      throw new PermissionDenied("key '" + k.name() + "' has role " + k.role().name().toLowerCase(Locale.ROOT) + "; "
          + call + " needs " + need.get().name().toLowerCase(Locale.ROOT));
    }
    return new Principal(k.name(), k.role(), true);
  }

  private ApiKey lookup(String secret) {
    String sha = Secrets.sha256(secret);
    long now = System.nanoTime();
    Cached c = cache.get(sha);
    if (c == null || c.expiresAtNanos() - now < 0) {
      ApiKey k = keys.bySecret(sha).orElseThrow(() -> new Unauthenticated("the API key is not known"));
      c = new Cached(k, now + config.cacheTtl().toNanos());
      cache.put(sha, c);
    }
    if (!c.key().active()) {
      throw new Unauthenticated("the API key '" + c.key().name() + "' was revoked");
    }
    return c.key();
  }

  public CreatedKey create(String name, Role role, String actor) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidInput("a key's name is 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit: '"
          + name + "'");
    }
    if (role == null) {
      throw new InvalidInput("role is required: reader, writer or admin");
    }
    String secret = secrets.generate();
    ApiKey k = new ApiKey(UUID.randomUUID().toString(), name, role, Secrets.prefixOf(secret), Instant.now(), actor,
        Optional.empty());
    if (!keys.insert(k, Secrets.sha256(secret))) {
      throw new FailedPrecondition("a key named '" + name + "' exists");
    }
    if (!required) {
      required = true;
      LOG.warn("an API key was created: keys are required from now on");
    }
    return new CreatedKey(k, secret);
  }

  public ApiKey revoke(String id) {
    if (!keys.revoke(id, Instant.now())) {
      throw new NotFound("no active key '" + id + "'");
    }
    cache.clear();
    return keys.byId(id).orElseThrow();
  }

  public List<ApiKey> list() {
    return keys.list();
  }

  public void audit(Principal who, String action, String outcome, String detail) {
    keys.audit(Instant.now(), who.name(), action, outcome, detail);
  }

  public List<AuditEntry> auditLog(int limit) {
    if (limit < 0 || limit > 1000) {
      throw new InvalidInput("limit must be 0..1000 (0 = 100)");
    }
    return keys.auditLog(limit == 0 ? 100 : limit);
  }
}
