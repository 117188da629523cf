package dev.kagami.embedding;

import dev.kagami.config.KagamiConfig;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.ModelUnavailable;
import dev.kagami.preprocess.ImageDecoder;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The models this server holds, keyed {@code name/version}, from a Triton-style repository
 * ({@code <repository>/<name>/<version>/}), and the aliases that serve: {@code production} is the model of
 * a request that names none. Models are loaded explicitly ({@link #load}) or when an alias moves to them
 * ({@link #swap}); a swap loads and warms the new version beside the old one and then switches at once, so a
 * call admitted before the switch finishes on the version it started with, and a version that fails to
 * load or warm is refused while the old one keeps serving. A runtime that leaves serving is retired: it
 * takes no new calls and closes when its last call ends.
 */
@ApplicationScoped
public class ModelRegistry {

  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ModelRegistry.class);

  private final KagamiConfig config;
  private final Event<ModelActivated> activated;
  private final ModelLoader loader;
  private final Map<String, ModelRuntime> models = new ConcurrentHashMap<>();
  /** Alias to the runtime it serves; replaced whole (copy on write) under {@code this}. */
  private volatile Map<String, ModelRuntime> aliases = Map.of();
  private volatile boolean closed;

  public ModelRegistry(KagamiConfig config, Event<ModelActivated> activated, ImageDecoder decoder,
      dev.kagami.concurrent.ThreadPools pools, io.opentelemetry.api.trace.Tracer tracer) {
    this.config = config;
    this.activated = activated;
    this.loader = new ModelLoader(new EngineFactory(), decoder, pools, tracer);
  }

  void onStart(@Observes @Priority(90) StartupEvent ev) {
    int stale = dev.kagami.engine.NativeTempFiles.removeStale(Path.of(System.getProperty("java.io.tmpdir")),
        java.time.Duration.ofMinutes(5));
    if (stale > 0) {
      LOG.infof("removed %d ONNX Runtime native folders left in java.io.tmpdir by killed processes", stale);
    }
  }

  /** Loads {@code name/version} from the repository (or returns it if loaded). */
  public ModelRuntime load(String name, String version) {
    String id = name + "/" + version;
    Path dir = packageDir(name, version);
    boolean[] loadedNow = {false};
    ModelRuntime rt = models.computeIfAbsent(id, k -> {
      loadedNow[0] = true;
      return loader.load(dir, settings());
    });
    if (loadedNow[0]) {
      makeRoom(rt);
    }
    return rt;
  }

  /**
   * Unloads the least recently used versions that no alias serves and no call holds until at most
   * {@code kagami.model.max-loaded} are loaded ({@code keep}, just loaded, stays).
   */
  private void makeRoom(ModelRuntime keep) {
    int max = config.model().maxLoaded();
    while (models.size() > max) {
      java.util.Optional<ModelRuntime> victim = models.values().stream()
          .filter(r -> r != keep && !aliases.containsValue(r) && r.users() == 0)
          .min(java.util.Comparator.comparingLong(ModelRuntime::lastUsed));
      if (victim.isEmpty()) {
        return; // everything loaded serves an alias or a call: over the bound until one ends
      }
      LOG.infof("unloading %s, the least recently used of %d loaded versions (kagami.model.max-loaded=%d)",
          victim.get().id(), models.size(), max);
      retire(victim.get());
    }
  }

  /** The versions loaded now, most recently used first. */
  public List<String> loadedByRecency() {
    return models.values().stream().sorted(java.util.Comparator.comparingLong(ModelRuntime::lastUsed).reversed())
        .map(ModelRuntime::id).toList();
  }

  /**
   * Points {@code alias} at {@code name/version}: loads it if needed, warms it (one text and one image
   * through the engine), then switches. The version the alias left stays loaded (a collection may be bound
   * to it); {@link #unload} retires it. Throws (and changes nothing) when the version cannot be loaded or warmed.
   */
  public ModelRuntime swap(String alias, String name, String version) {
    boolean wasLoaded = models.containsKey(name + "/" + version);
    ModelRuntime next = load(name, version);
    try {
      warm(next);
    } catch (RuntimeException e) {
      if (!wasLoaded) {
        unloadQuietly(next);
      }
      throw new ModelUnavailable("model " + next.id() + " loaded but failed to warm up (" + e.getMessage()
          + "); the alias '" + alias + "' keeps its version");
    }
    synchronized (this) {
      Map<String, ModelRuntime> m = new java.util.HashMap<>(aliases);
      m.put(alias, next);
      aliases = Map.copyOf(m);
    }
    if (alias.equals(PRODUCTION)) {
      activated.fire(new ModelActivated(next.name(), next.version()));
    }
    return next;
  }

  /** The alias {@code Embed} and {@code Search} use when a request names no model. */
  public static final String PRODUCTION = "production";

  /** The loader (to read or parity-check a package without serving it). */
  public ModelLoader loader() {
    return loader;
  }

  /** The repository folder of {@code name/version} (checked names; it may not exist). */
  public Path packageFolder(String name, String version) {
    return packageDir(name, version);
  }

  private static void warm(ModelRuntime rt) {
    int side = rt.transform().size();
    EmbedInput image = new EmbedInput.Image(warmupPng(side));
    rt.submit(rt.prepare(List.of(new EmbedInput.Text("a photo of a thing."), image)), CallBudget.NONE).join();
  }

  private static byte[] warmupPng(int side) {
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(side, side, java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(img, "png", out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Unloads {@code name/version}: refused while an alias serves it; otherwise it takes no new calls and
   * closes when the calls in progress end.
   */
  public void unload(String name, String version) {
    String id = name + "/" + version;
    ModelRuntime rt = models.get(id);
    if (rt == null) {
      throw new dev.kagami.error.KagamiException.NotFound("model " + id + " is not loaded; loaded: " + loaded());
    }
    List<String> serving = aliasesOf(rt);
    if (!serving.isEmpty()) {
      throw new dev.kagami.error.KagamiException.FailedPrecondition("model " + id + " serves alias(es) " + serving
          + "; move them to another version first");
    }
    retire(rt);
  }

  private synchronized void retire(ModelRuntime rt) {
    if (aliases.containsValue(rt)) {
      return;
    }
    models.remove(rt.id(), rt);
    rt.retire();
  }

  private void unloadQuietly(ModelRuntime rt) {
    try {
      retire(rt);
    } catch (RuntimeException e) {
      LOG.warnf("unloading %s: %s", rt.id(), e.getMessage());
    }
  }

  /** The aliases that serve {@code rt}, sorted. */
  public List<String> aliasesOf(ModelRuntime rt) {
    return aliases.entrySet().stream().filter(e -> e.getValue() == rt).map(Map.Entry::getKey).sorted().toList();
  }

  /** The runtime {@code alias} serves here, if it serves one. */
  public java.util.Optional<ModelRuntime> resolveAlias(String alias) {
    return java.util.Optional.ofNullable(aliases.get(alias));
  }

  /** Alias to the {@code name/version} it serves on this server. */
  public Map<String, String> servingAliases() {
    Map<String, String> out = new java.util.TreeMap<>();
    aliases.forEach((a, rt) -> out.put(a, rt.id()));
    return out;
  }

  /**
   * A use of {@code name/version} for background work (an evaluation): loaded for the lease if it is not
   * loaded, and unloaded again when the lease closes unless something else took it into serving meanwhile.
   */
  public Lease lease(String name, String version) {
    boolean wasLoaded = models.containsKey(name + "/" + version);
    return new Lease(held(() -> load(name, version)), !wasLoaded);
  }

  /**
   * The runtime for a call, held ({@link ModelRuntime#acquire}) until the caller releases it: a runtime
   * retired between resolving and holding it is passed over for the one that serves now.
   */
  public ModelRuntime acquire(String name, String version) {
    return held(() -> resolve(name, version));
  }

  private static ModelRuntime held(java.util.function.Supplier<ModelRuntime> find) {
    for (int attempt = 0; attempt < 5; attempt++) {
      ModelRuntime rt = find.get();
      if (rt.acquire()) {
        return rt;
      }
    }
    throw new ModelUnavailable("the model is being swapped or unloaded; retry");
  }

  /** A runtime held for one piece of work; closing it releases the runtime. */
  public final class Lease implements AutoCloseable {
    private final ModelRuntime runtime;
    private final boolean scoped;

    private Lease(ModelRuntime runtime, boolean scoped) {
      this.runtime = runtime;
      this.scoped = scoped;
    }

    public ModelRuntime runtime() {
      return runtime;
    }

    @Override
    public void close() {
      runtime.release();
      if (scoped && aliasesOf(runtime).isEmpty()) {
        unloadQuietly(runtime);
      }
    }
  }

  Path packageDir(String name, String version) {
    if (!name.matches("[A-Za-z0-9._-]+") || !version.matches("[A-Za-z0-9._-]+") || name.startsWith(".")
        || version.startsWith(".")) {
      throw new InvalidInput("model name and version may hold letters, digits, '.', '_' and '-' only: '" + name + "/" + version + "'");
    }
    return config.model().repository().resolve(name).resolve(version);
  }

  ModelLoader.Settings settings() {
    KagamiConfig.Serving s = config.serving();
    return new ModelLoader.Settings(
        EngineKind.parse(config.model().engine()),
        new EngineOptions(s.workers(), config.model().engineThreads())
            .withShortTextSequences(config.model().shortTextSequences()),
        new DynamicBatcher.Settings(s.maxBatchSize(), TimeUnit.NANOSECONDS.convert(s.maxBatchWait()), s.queueCapacity(),
            s.workers()),
        config.limits().maxTextChars(),
        config.model().parityCheck(),
        config.model().parityMinCosine());
  }

  /**
   * The model for a request: the production alias's when {@code name} is empty; else {@code name/version},
   * where an empty version means the production version if it has that name.
   */
  public ModelRuntime resolve(String name, String version) {
    if (closed) {
      throw new dev.kagami.error.KagamiException.ShuttingDown();
    }
    ModelRuntime a = aliases.get(PRODUCTION);
    if (name == null || name.isEmpty()) {
      if (a == null) {
        throw new ModelUnavailable("no model is loaded yet");
      }
      if (version != null && !version.isEmpty() && !version.equals(a.version())) {
        throw new InvalidInput("model version '" + version + "' given without a model name");
      }
      return a;
    }
    String v = version == null || version.isEmpty() ? (a != null && name.equals(a.name()) ? a.version() : "") : version;
    ModelRuntime rt = models.get(name + "/" + v);
    if (rt == null) {
      throw new InvalidInput("model '" + name + (v.isEmpty() ? "" : "/" + v) + "' is not loaded; loaded: " + loaded());
    }
    return rt;
  }

  /** The production alias's runtime. */
  public ModelRuntime active() {
    ModelRuntime a = aliases.get(PRODUCTION);
    if (a == null) {
      throw new ModelUnavailable("no model is loaded yet");
    }
    return a;
  }

  public List<String> loaded() {
    return models.keySet().stream().sorted().toList();
  }

  /** The loaded runtime of {@code name/version}, if loaded. */
  public java.util.Optional<ModelRuntime> loadedRuntime(String name, String version) {
    return java.util.Optional.ofNullable(models.get(name + "/" + version));
  }

  @PreDestroy
  void close() {
    closed = true; // calls still arriving are told to go elsewhere, not that their model is unknown
    models.values().forEach(ModelRuntime::close);
    models.clear();
  }
}
