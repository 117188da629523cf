package dev.kagami.app;

import dev.kagami.config.KagamiConfig;
import dev.kagami.dataset.ArchiveExtractor;
import dev.kagami.dataset.ImportRoots;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.evaluation.ReportStore;
import dev.kagami.model.ModelId;
import dev.kagami.model.ModelPackage;
import dev.kagami.persistence.ModelRepository;
import dev.kagami.registry.AliasEvent;
import dev.kagami.registry.GateRules;
import dev.kagami.registry.ModelAlias;
import dev.kagami.registry.ModelVersion;
import dev.kagami.registry.PackageFingerprint;
import dev.kagami.training.RunSucceeded;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * The model registry's use cases: what is registered (every package in the repository at start-up, every
 * import, every fine-tuned result), explicit load and unload, import and delete, the aliases and their
 * audit log, and the gate's rules. Moving an alias is {@link PromotionService}'s.
 */
@ApplicationScoped
public class ModelService {

  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ModelService.class);

  /** Who a change is recorded as when the caller names nobody (there are no accounts yet). */
  public static final String DEFAULT_ACTOR = "unauthenticated";
  public static final int DEFAULT_EVENT_LIMIT = 100;

  /** A registered version with where it serves on this server and the reports made of it. */
  public record ModelDetails(ModelVersion version, List<String> aliases, boolean loaded, List<String> reportIds) {}

  /** An alias as stored, with what this server serves under it. */
  public record AliasDetails(ModelAlias alias, String servingHere) {}

  private final ModelRegistry registry;
  private final ModelRepository repo;
  private final ReportStore reports;
  private final IndexResources index;
  private final KagamiConfig config;
  private final ImportRoots roots;

  public ModelService(ModelRegistry registry, ModelRepository repo, ReportStore reports, IndexResources index,
      KagamiConfig config) {
    this.registry = registry;
    this.repo = repo;
    this.reports = reports;
    this.index = index;
    this.config = config;
    this.roots = ImportRoots.of(config.dataset().importRoots());
  }

  /**
   * At start-up: registers the packages found in the repository, creates {@code production} from the
   * configured model the first time, and serves every alias's version. Start-up fails if production's
   * version cannot be served; another alias that cannot is logged and left unserved.
   */
  void onStart(@Observes @Priority(100) StartupEvent ev) {
    registerRepository();
    KagamiConfig.Model m = config.model();
    if (repo.alias(ModelAlias.PRODUCTION).isEmpty()) {
      ModelId first = new ModelId(m.name(), m.version());
      requireRegistered(first);
      repo.move(new AliasEvent(0, ModelAlias.PRODUCTION, AliasEvent.Kind.INITIAL, Optional.empty(), first, 1, "kagami",
          "the configured model (kagami.model.name/version) at first start", Optional.empty(), false, Instant.now()));
    }
    ModelId configured = new ModelId(m.name(), m.version());
    repo.alias(ModelAlias.PRODUCTION).filter(p -> !p.target().equals(configured)).ifPresent(p -> LOG.warnf(
        "production serves %s (the registry's alias, generation %d), not the configured kagami.model %s: the configured "
            + "model only names production's first version; promote %s to serve it", p.target(), p.generation(), configured,
        configured));
    for (ModelAlias a : repo.aliases()) {
      try {
        registry.swap(a.alias(), a.target().name(), a.target().version());
        LOG.infof("alias %s serves %s (generation %d)", a.alias(), a.target(), a.generation());
      } catch (RuntimeException e) {
        if (a.alias().equals(ModelAlias.PRODUCTION)) {
          throw e;
        }
        LOG.errorf("alias %s cannot serve %s: %s", a.alias(), a.target(), e.getMessage());
      }
    }
  }

  /** Registers every package folder {@code <repository>/<name>/<version>} that is not registered yet. */
  void registerRepository() {
    Path root = config.model().repository();
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> names = Files.list(root)) {
      for (Path n : names.filter(Files::isDirectory).sorted().toList()) {
        try (Stream<Path> versions = Files.list(n)) {
          for (Path v : versions.filter(Files::isDirectory).sorted().toList()) {
            String name = n.getFileName().toString();
            String version = v.getFileName().toString();
            if (name.startsWith(".") || version.startsWith(".")) {
              continue;
            }
            try {
              ModelId id = new ModelId(name, version);
              if (repo.version(id).isEmpty()) {
                register(v, id, ModelVersion.Origin.FOUND, Optional.empty(), OptionalDouble.empty(), "kagami");
              }
            } catch (RuntimeException e) {
              LOG.warnf("not registered: %s (%s)", v, e.getMessage());
            }
          }
        }
      }
    } catch (IOException e) {
      throw new dev.kagami.error.KagamiException.BackendUnavailable("cannot list the model repository " + root + ": "
          + e.getMessage(), e);
    }
  }

  private ModelVersion register(Path dir, ModelId id, ModelVersion.Origin origin, Optional<ModelVersion.Lineage> lineage,
      OptionalDouble parity, String actor) {
    ModelPackage pkg = registry.loader().read(dir);
    if (!pkg.manifest().name().equals(id.name()) || !pkg.manifest().version().equals(id.version())) {
      throw new InvalidInput("the package in " + dir + " says it is " + pkg.id() + ", not " + id);
    }
    PackageFingerprint fp = PackageFingerprint.of(dir);
    List<String> engines = new ArrayList<>(List.of("onnxruntime"));
    if (pkg.visualTorchScript().isPresent() && pkg.textualTorchScript().isPresent()) {
      engines.add("pytorch");
    }
    Optional<Double> p = parity.isPresent() && Double.isFinite(parity.getAsDouble()) ? Optional.of(parity.getAsDouble())
        : Optional.empty();
    String description = pkg.manifest().description() == null ? "" : pkg.manifest().description();
    return repo.register(new ModelVersion(id, pkg.layout().name(), pkg.manifest().embeddingDimension(), fp.checksum(),
        fp.sizeBytes(), engines, origin, lineage, p, description, actor, Instant.now()));
  }

  /** A fine-tuning run's result becomes a registered version with its lineage: a candidate for promotion. */
  void onRunSucceeded(@Observes RunSucceeded r) {
    try {
      register(registry.packageFolder(r.result().name(), r.result().version()), r.result(), ModelVersion.Origin.TRAINED,
          Optional.of(new ModelVersion.Lineage(r.runId(), r.base(), r.method(), r.dataset())),
          Double.isNaN(r.parity()) ? OptionalDouble.empty() : OptionalDouble.of(r.parity()), "run " + r.runId());
    } catch (RuntimeException e) {
      LOG.errorf("the result %s of run %s could not be registered: %s", r.result(), r.runId(), e.getMessage());
    }
  }

  public ModelVersion requireRegistered(ModelId id) {
    if (id.version().isEmpty()) {
      throw new InvalidInput("name a model version: " + id + "/<version>");
    }
    return repo.version(id).orElseThrow(() -> new NotFound("no registered model " + id + "; registered: "
        + repo.versions().stream().map(v -> v.id().toString()).toList()));
  }

  public List<ModelDetails> list() {
    List<ModelAlias> aliases = repo.aliases();
    return repo.versions().stream().map(v -> details(v, aliases)).toList();
  }

  public ModelDetails get(ModelId id) {
    return details(requireRegistered(id), repo.aliases());
  }

  private ModelDetails details(ModelVersion v, List<ModelAlias> all) {
    List<String> aliases = all.stream().filter(a -> a.target().equals(v.id())).map(ModelAlias::alias).toList();
    boolean loaded = registry.loadedRuntime(v.id().name(), v.id().version()).isPresent();
    return new ModelDetails(v, aliases, loaded, reports.ids(null, v.id().toString(), 100));
  }

  public List<String> load(ModelId id) {
    requireRegistered(id);
    registry.load(id.name(), id.version());
    return registry.loaded();
  }

  public List<String> unload(ModelId id) {
    requireRegistered(id);
    registry.unload(id.name(), id.version());
    return registry.loaded();
  }

  /** Copies the package in {@code path} (under the import roots) into the repository and registers it. */
  public ModelVersion importModel(String path, String actor) {
    if (path == null || path.isBlank()) {
      throw new InvalidInput("path is required: a model package folder under the import roots " + roots.roots());
    }
    return importFrom(roots.check(Path.of(path)), actor);
  }

  /** Imports the package in {@code src}, a folder the caller vouches for (under the roots, or an unpacked upload). */
  ModelVersion importFrom(Path src, String actor) {
    ModelPackage pkg = registry.loader().read(src);
    ModelId id = new ModelId(pkg.manifest().name(), pkg.manifest().version());
    Path target = registry.packageFolder(id.name(), id.version());
    Optional<ModelVersion> existing = repo.version(id);
    if (existing.isPresent() || Files.exists(target)) {
      String checksum = PackageFingerprint.of(src).checksum();
      if (existing.isPresent() && existing.get().checksum().equals(checksum)) {
        return existing.get();
      }
      throw new FailedPrecondition("model " + id + " already exists with other files; a version never changes: give "
          + "the package a new version in its manifest");
    }
    OptionalDouble parity = registry.loader().measureParity(src);
    if (parity.isPresent() && parity.getAsDouble() < config.model().parityMinCosine()) {
      throw new InvalidInput("the package " + id + " fails its parity check: ONNX and TorchScript disagree (lowest cosine "
          + parity.getAsDouble() + " < " + config.model().parityMinCosine() + ")");
    }
    copyInto(src, target);
    return register(target, id, ModelVersion.Origin.IMPORTED, Optional.empty(), parity, actorOr(actor));
  }

  private static void copyInto(Path src, Path target) {
    Path tmp = target.resolveSibling("." + target.getFileName() + ".importing");
    try {
      Files.createDirectories(target.getParent());
      ArchiveExtractor.deleteQuietly(tmp);
      try (Stream<Path> all = Files.walk(src)) {
        for (Path p : all.sorted().toList()) {
          Path to = tmp.resolve(src.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else if (Files.isRegularFile(p)) {
            Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new dev.kagami.error.KagamiException.BackendUnavailable("cannot copy the package into " + target + ": "
          + e.getMessage(), e);
    }
  }

  /** Removes {@code id} from the registry and the repository; refused while an alias or a collection uses it. */
  public void delete(ModelId id) {
    requireRegistered(id);
    List<String> aliases = repo.aliases().stream().filter(a -> a.target().equals(id)).map(ModelAlias::alias).toList();
    if (!aliases.isEmpty()) {
      throw new FailedPrecondition("model " + id + " is what alias(es) " + aliases + " point at; move them first");
    }
    List<String> collections = collectionsOf(id);
    if (!collections.isEmpty()) {
      throw new FailedPrecondition("model " + id + " is the model of collection(s) " + collections
          + "; re-index or delete them first");
    }
    registry.loadedRuntime(id.name(), id.version()).ifPresent(rt -> registry.unload(id.name(), id.version()));
    repo.delete(id);
    Path folder = registry.packageFolder(id.name(), id.version());
    ArchiveExtractor.deleteQuietly(folder);
    if (Files.exists(folder)) {
      LOG.warnf("model %s unregistered, but its folder %s could not be removed", id, folder);
    }
  }

  /** The collections whose vectors were made by {@code id}. */
  public List<String> collectionsOf(ModelId id) {
    return index.store().collections().stream().filter(c -> id.toString().equals(c.model())).map(c -> c.name()).toList();
  }

  /** Retires {@code rt} if no alias serves it and no collection is bound to it (its last call closes it). */
  void retireIfIdle(ModelRuntime rt) {
    ModelId id = new ModelId(rt.name(), rt.version());
    if (registry.aliasesOf(rt).isEmpty() && collectionsOf(id).isEmpty()) {
      try {
        registry.unload(rt.name(), rt.version());
      } catch (RuntimeException e) {
        LOG.debugf("%s stays loaded: %s", id, e.getMessage());
      }
    }
  }

  public List<AliasDetails> aliases() {
    java.util.Map<String, String> serving = registry.servingAliases();
    return repo.aliases().stream().map(a -> new AliasDetails(a, serving.getOrDefault(a.alias(), ""))).toList();
  }

  public List<AliasEvent> events(String alias, int limit) {
    return repo.events(alias == null || alias.isBlank() ? null : alias, limit <= 0 ? DEFAULT_EVENT_LIMIT : limit);
  }

  public GateRules gateRules(String alias) {
    return repo.gateRules(aliasOr(alias)).orElse(GateRules.defaults());
  }

  public GateRules setGateRules(String alias, GateRules rules) {
    if (rules == null) {
      throw new InvalidInput("rules are required");
    }
    repo.setGateRules(aliasOr(alias), rules);
    return rules;
  }

  static String aliasOr(String alias) {
    if (alias == null || alias.isBlank()) {
      return ModelAlias.PRODUCTION;
    }
    if (!alias.matches("[a-z][a-z0-9_-]{0,63}")) {
      throw new InvalidInput("an alias is 1-64 lower-case letters, digits, '_' or '-', starting with a letter: '" + alias + "'");
    }
    return alias;
  }

  static String actorOr(String actor) {
    return actor == null || actor.isBlank() ? DEFAULT_ACTOR : actor.strip();
  }
}
