package dev.kagami.app;

import dev.kagami.config.KagamiConfig;
import dev.kagami.embedding.ModelActivated;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** What the server is and how it is: version, serving model, engine, uptime, health. */
@ApplicationScoped
public class ServerInfoService {

  /** The health of the server: {@code SERVING} once the model is ready and the index is open. */
  public enum Health { STARTING, SERVING, STOPPING }

  /** The model that answers requests that name none. */
  public record ServingModel(String name, String version, int dimension, String engine) {}

  /**
   * {@code aliases}: what this server serves under each alias, {@code name/version@generation}; {@code replica}:
   * this server's id among the replicas that share the database.
   */
  public record Info(String version, ServingModel model, List<String> loadedModels, Instant startedAt, long uptimeSeconds,
      Health health, Map<String, String> unavailableCollections, Map<String, String> aliases, String replica) {}

  private final ModelRegistry models;
  private final IndexResources index;
  private final AliasFollower follower;
  private final String version;
  private final String engine;
  private final Instant startedAt = Instant.now();
  private volatile boolean modelReady;
  private volatile boolean stopping;

  public ServerInfoService(ModelRegistry models, IndexResources index, KagamiConfig config,
      @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version,
      AliasFollower follower) {
    this.follower = follower;
    this.models = models;
    this.index = index;
    this.version = version;
    this.engine = config.model().engine();
  }

  void modelReady(@Observes ModelActivated ev) {
    modelReady = true;
  }

  void stopping(@Observes ShutdownEvent ev) {
    stopping = true;
  }

  public Info info() {
    ServingModel model = null;
    try {
      ModelRuntime a = models.active();
      model = new ServingModel(a.name(), a.version(), a.dimension(), engine);
    } catch (KagamiException e) {
      // no model yet: the info says so with health STARTING
    }
    Health h = stopping ? Health.STOPPING : modelReady && model != null ? Health.SERVING : Health.STARTING;
    Instant now = Instant.now();
    return new Info(version, model, models.loaded(), startedAt, Duration.between(startedAt, now).toSeconds(), h,
        index.store().unavailableCollections(), follower.serving(), follower.replicaId());
  }
}
