package dev.kagami.app;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.persistence.ModelRepository;
import dev.kagami.persistence.ReplicaRepository;
import dev.kagami.registry.ModelAlias;
import dev.kagami.registry.Replica;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keeps this server on the aliases the shared database holds: every poll interval it reads them, moves to
 * the version of any alias whose generation grew (another replica promoted it), and writes its heartbeat
 * with the generations it serves; on PostgreSQL it also follows a move as soon as it is announced
 * ({@link dev.kagami.persistence.AliasNotifications}). A Promote on any replica can then wait until every live replica serves
 * the new generation ({@link #await}). A move that fails here (a version that will not load) is retried
 * at the next poll and the old version keeps serving meanwhile.
 */
@ApplicationScoped
public class AliasFollower {

  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(AliasFollower.class);

  /** What a wait for the replicas found: those that serve the generation, and those that did not in time. */
  public record Spread(List<String> switched, List<String> lagging) {}

  private final ModelRegistry registry;
  private final ModelRepository repo;
  private final ReplicaRepository replicas;
  private final dev.kagami.persistence.AliasNotifications notifications;
  private final ModelService models;
  private final Duration interval;
  private final Duration timeout;
  private final ThreadPools pools;
  private final String id;
  private final String host;
  private final Instant startedAt = Instant.now();
  /** Alias to the generation this server serves. */
  private final Map<String, Long> served = new ConcurrentHashMap<>();
  private final Map<String, String> versions = new ConcurrentHashMap<>();
  private ScheduledExecutorService timer;
  private java.util.concurrent.ExecutorService listener;
  private volatile boolean stopping;

  public AliasFollower(ModelRegistry registry, ModelRepository repo, ReplicaRepository replicas,
      dev.kagami.persistence.AliasNotifications notifications, ModelService models, KagamiConfig config, ThreadPools pools) {
    this.registry = registry;
    this.notifications = notifications;
    this.repo = repo;
    this.replicas = replicas;
    this.models = models;
    this.interval = config.registry().pollInterval();
    this.timeout = config.registry().replicaTimeout();
    this.pools = pools;
    this.host = hostName();
    this.id = host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

  /** After {@link ModelService} served the aliases: records what serves, then follows the database. */
  void onStart(@Observes @Priority(110) StartupEvent ev) {
    Map<String, String> serving = registry.servingAliases();
    for (ModelAlias a : repo.aliases()) {
      if (a.target().toString().equals(serving.get(a.alias()))) {
        served(a.alias(), a.generation(), a.target().toString());
      }
    }
    heartbeat();
    timer = pools.scheduled("registry-follow");
    long ms = interval.toMillis();
    timer.scheduleWithFixedDelay(this::pollQuietly, ms, ms, TimeUnit.MILLISECONDS);
    if (notifications.supported()) {
      // PostgreSQL: follow a move when it is announced, not only at the next poll
      listener = pools.workers("registry-listen", 1);
      listener.execute(() -> notifications.listen(this::pollQuietly, () -> stopping, Duration.ofSeconds(1)));
      LOG.infof("following alias moves as PostgreSQL announces them (LISTEN %s), and polling every %s",
          dev.kagami.persistence.AliasNotifications.CHANNEL, interval);
    }
  }

  /** Runs a local alias move with polling held off, so the poll never races it. */
  synchronized <T> T moving(Supplier<T> move) {
    return move.get();
  }

  void served(String alias, long generation, String version) {
    served.merge(alias, generation, Math::max);
    versions.put(alias, version);
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      LOG.warnf("following the registry failed (next try in %s): %s", interval, e.getMessage());
    }
  }

  /** One round: moves to any alias generation newer than the one served here, then the heartbeat. */
  synchronized void poll() {
    for (ModelAlias a : repo.aliases()) {
      if (a.generation() <= served.getOrDefault(a.alias(), 0L)) {
        continue;
      }
      ModelRuntime before = registry.servingAliases().containsKey(a.alias())
          ? registry.resolveAlias(a.alias()).orElse(null) : null;
      try {
        registry.swap(a.alias(), a.target().name(), a.target().version());
        served(a.alias(), a.generation(), a.target().toString());
        LOG.infof("alias %s moved to %s (generation %d) by another replica; serving it here", a.alias(), a.target(),
            a.generation());
        if (before != null) {
          models.retireIfIdle(before);
        }
      } catch (RuntimeException e) {
        LOG.errorf("alias %s is at %s (generation %d) but that version cannot serve here (%s); the previous one keeps "
            + "serving and the next poll retries", a.alias(), a.target(), a.generation(), e.getMessage());
      }
    }
    heartbeat();
  }

  private void heartbeat() {
    replicas.heartbeat(new Replica(id, host, startedAt, Instant.now(), served, versions));
  }

  /**
   * Waits until every replica seen within three poll intervals serves {@code generation} of {@code alias}
   * (this one does already), or the replica timeout passes.
   */
  public Spread await(String alias, long generation) {
    heartbeat();
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> switched = new ArrayList<>();
      List<String> lagging = new ArrayList<>();
      for (Replica r : replicas.seenSince(Instant.now().minus(interval.multipliedBy(3)))) {
        (r.generations().getOrDefault(alias, 0L) >= generation ? switched : lagging).add(r.id());
      }
      if (lagging.isEmpty() || System.nanoTime() > end) {
        return new Spread(switched, lagging);
      }
      try {
        Thread.sleep(Math.min(200, interval.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Spread(switched, lagging);
      }
    }
  }

  /** This replica's id, and what it serves: alias to {@code name/version@generation}. */
  public String replicaId() {
    return id;
  }

  public Map<String, String> serving() {
    Map<String, String> out = new TreeMap<>();
    served.forEach((a, g) -> out.put(a, versions.getOrDefault(a, "") + "@" + g));
    return out;
  }

  /** Every live replica, as its last heartbeat told. */
  public List<Replica> replicas() {
    return replicas.seenSince(Instant.now().minus(interval.multipliedBy(3)));
  }

  /**
   * At shutdown, before the beans (the datasource among them) are destroyed: the listener leaves its loop
   * (it checks {@code stopping} every second) and returns its connection while the pool is still open, and
   * the replica's row goes, so a promotion no longer waits for this process.
   */
  void onShutdown(@Observes ShutdownEvent ev) {
    stop();
  }

  @PreDestroy
  void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    if (timer != null) {
      timer.shutdownNow();
    }
    if (listener != null) {
      listener.shutdown();
      try {
        if (!listener.awaitTermination(3, TimeUnit.SECONDS)) {
          listener.shutdownNow();
        }
      } catch (InterruptedException e) {
        listener.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    try {
      replicas.remove(id);
    } catch (RuntimeException e) {
      LOG.debugf("replica %s not removed: %s", id, e.getMessage());
    }
  }
}
