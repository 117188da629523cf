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
 * ({@code <repository>/<name>/<version>/}). The configured model is loaded at start-up; start-up fails
 * (the process exits with the reason) if it cannot be loaded.
 */
@ApplicationScoped
public class ModelRegistry {

  private final KagamiConfig config;
  private final Event<ModelActivated> activated;
  private final ModelLoader loader;
  private final Map<String, ModelRuntime> models = new ConcurrentHashMap<>();
  private volatile ModelRuntime active;
  private volatile boolean closed;

  public ModelRegistry(KagamiConfig config, Event<ModelActivated> activated, ImageDecoder decoder,
      dev.kagami.concurrent.ThreadPools pools) {
    this.config = config;
    this.activated = activated;
    this.loader = new ModelLoader(new EngineFactory(), decoder, pools);
  }

  void onStart(@Observes @Priority(100) StartupEvent ev) {
    int stale = dev.kagami.engine.NativeTempFiles.removeStale(Path.of(System.getProperty("java.io.tmpdir")),
        java.time.Duration.ofMinutes(5));
    if (stale > 0) {
      org.jboss.logging.Logger.getLogger(ModelRegistry.class).infof(
          "removed %d ONNX Runtime native folders left in java.io.tmpdir by killed processes", stale);
    }
    KagamiConfig.Model m = config.model();
    activate(load(m.name(), m.version()));
  }

  /** Loads {@code name/version} from the repository (or returns it if loaded). */
  public ModelRuntime load(String name, String version) {
    String id = name + "/" + version;
    return models.computeIfAbsent(id, k -> loader.load(packageDir(name, version), settings()));
  }

  /** Makes {@code rt} the model that requests without a model reference use. */
  public void activate(ModelRuntime rt) {
    active = rt;
    activated.fire(new ModelActivated(rt.name(), rt.version()));
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
        new EngineOptions(s.workers(), config.model().engineThreads()),
        new DynamicBatcher.Settings(s.maxBatchSize(), TimeUnit.NANOSECONDS.convert(s.maxBatchWait()), s.queueCapacity(),
            s.workers()),
        config.limits().maxTextChars(),
        config.model().parityCheck(),
        config.model().parityMinCosine());
  }

  /**
   * The model for a request: the active one when {@code name} is empty; else {@code name/version}, where
   * an empty version means the active model's version if it has that name.
   */
  public ModelRuntime resolve(String name, String version) {
    if (closed) {
      throw new dev.kagami.error.KagamiException.ShuttingDown();
    }
    ModelRuntime a = active;
    if (a == null) {
      throw new ModelUnavailable("no model is loaded yet");
    }
    if (name == null || name.isEmpty()) {
      if (version != null && !version.isEmpty() && !version.equals(a.version())) {
        throw new InvalidInput("model version '" + version + "' given without a model name");
      }
      return a;
    }
    String v = version == null || version.isEmpty() ? (name.equals(a.name()) ? a.version() : "") : version;
    ModelRuntime rt = models.get(name + "/" + v);
    if (rt == null) {
      throw new InvalidInput("model '" + name + (v.isEmpty() ? "" : "/" + v) + "' is not loaded; loaded: " + loaded());
    }
    return rt;
  }

  public ModelRuntime active() {
    ModelRuntime a = active;
    if (a == null) {
      throw new ModelUnavailable("no model is loaded yet");
    }
    return a;
  }

  public List<String> loaded() {
    return models.keySet().stream().sorted().toList();
  }

  @PreDestroy
  void close() {
    closed = true; // calls still arriving are told to go elsewhere, not that their model is unknown
    models.values().forEach(ModelRuntime::close);
    models.clear();
  }
}
