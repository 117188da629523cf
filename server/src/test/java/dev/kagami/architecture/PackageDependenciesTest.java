package dev.kagami.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Holds the layering of the server's packages with ArchUnit, on the compiled classes: each package may use
 * only the packages listed for it (so dependencies point one way and the table has no cycle), the layers
 * adapters, application, domain, persistence and foundation are called only from above, engine
 * implementations are reached only through {@code engine}, and nothing runs on the common ForkJoin pool.
 */
class PackageDependenciesTest {

  static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
      Map.entry("error", Set.of()),
      Map.entry("config", Set.of()),
      Map.entry("concurrent", Set.of()),
      Map.entry("job", Set.of("error")),
      Map.entry("model", Set.of("error")),
      Map.entry("preprocess", Set.of("model", "error")),
      Map.entry("engine", Set.of("model", "error")),
      Map.entry("engine.djl", Set.of("engine", "model", "error")),
      Map.entry("embedding", Set.of("engine", "preprocess", "model", "concurrent", "error", "config")),
      Map.entry("dataset", Set.of("preprocess", "concurrent", "error")),
      Map.entry("evaluation", Set.of("dataset", "embedding", "engine", "preprocess", "model", "registry", "persistence", "concurrent", "error")),
      Map.entry("registry", Set.of("model", "error")),
      Map.entry("security", Set.of()),
      Map.entry("persistence", Set.of("dataset", "job", "registry", "security", "model", "error", "config")),
      Map.entry("index", Set.of("concurrent", "error")),
      Map.entry("index.solr", Set.of("index", "error")),
      Map.entry("finetune.onnx", Set.of()),
      Map.entry("finetune", Set.of("finetune.onnx", "embedding", "engine", "model", "preprocess", "concurrent", "error")),
      Map.entry("training", Set.of("finetune", "dataset", "evaluation", "embedding", "engine", "model", "preprocess", "persistence", "job", "concurrent", "error", "config")),
      Map.entry("app", Set.of("registry", "training", "finetune", "embedding", "evaluation", "dataset", "persistence", "preprocess", "index",
          "index.solr", "model", "job", "security", "concurrent", "error", "config")),
      Map.entry("api.grpc", Set.of("security", "registry", "app", "training", "finetune", "embedding", "evaluation", "dataset", "persistence", "preprocess", "index",
          "model", "job", "error", "config")),
      Map.entry("cli", Set.of("training", "finetune", "evaluation", "embedding", "engine", "dataset", "model", "preprocess",
          "concurrent", "error")),
      Map.entry("api.rest", Set.of("security", "registry", "app", "training", "finetune", "embedding", "evaluation", "dataset", "persistence", "index", "model",
          "job", "error", "config")));

  /** Kagami's main classes as compiled (bytecode: every reference, fully qualified or imported, counts). */
  static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.kagami");

  @Test
  void packages_depend_only_on_the_layers_below_them() {
    List<String> violations = new ArrayList<>();
    int references = 0;
    for (JavaClass c : CLASSES) {
      String pkg = kagamiPackage(c.getPackageName());
      if (pkg == null || pkg.startsWith("api.v1")) {
        continue;
      }
      Set<String> allowed = ALLOWED.get(pkg);
      if (allowed == null) {
        violations.add(c.getName() + ": package " + pkg + " has no declared layer (add it to ALLOWED)");
        continue;
      }
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        String used = kagamiPackage(d.getTargetClass().getPackageName());
        if (used == null || used.equals(pkg) || used.startsWith("api.v1")) {
          continue;
        }
        references++;
        if (!allowed.contains(used)) {
          violations.add(pkg + " uses " + used + ": " + d.getDescription());
        }
      }
    }
    assertThat(references).as("cross-package references found (the scan is not vacuous)").isGreaterThan(500);
    assertThat(violations).isEmpty();
  }

  private static String kagamiPackage(String javaPackage) {
    return javaPackage.startsWith("dev.kagami.") ? javaPackage.substring("dev.kagami.".length()) : null;
  }

  /**
   * The layering in one statement: adapters (gRPC, REST, command line) on top, the application layer below
   * them, the domain below it, persistence and the foundation (config, errors, threads) at the bottom.
   * Nothing calls upwards; the one allowance is that repositories store the values of dataset, job, model, registry and security.
   */
  @Test
  void adapters_then_application_then_domain_never_back() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("Adapters").definedBy("dev.kagami.api.grpc..", "dev.kagami.api.rest..", "dev.kagami.cli..")
        .layer("Application").definedBy("dev.kagami.app..")
        .layer("Domain").definedBy("dev.kagami.embedding..", "dev.kagami.preprocess..", "dev.kagami.engine..",
            "dev.kagami.model..", "dev.kagami.index..", "dev.kagami.dataset..", "dev.kagami.evaluation..", "dev.kagami.security..",
            "dev.kagami.finetune..", "dev.kagami.training..", "dev.kagami.job..", "dev.kagami.registry..")
        .layer("Persistence").definedBy("dev.kagami.persistence..")
        .layer("Foundation").definedBy("dev.kagami.config..", "dev.kagami.error..", "dev.kagami.concurrent..")
        .whereLayer("Adapters").mayNotBeAccessedByAnyLayer()
        .whereLayer("Application").mayOnlyBeAccessedByLayers("Adapters")
        .whereLayer("Domain").mayOnlyBeAccessedByLayers("Adapters", "Application")
        .whereLayer("Persistence").mayOnlyBeAccessedByLayers("Adapters", "Application", "Domain")
        .whereLayer("Foundation").mayOnlyBeAccessedByLayers("Adapters", "Application", "Domain", "Persistence")
        .ignoreDependency(resideInAPackage("dev.kagami.persistence.."),
            resideInAnyPackage("dev.kagami.dataset..", "dev.kagami.job..", "dev.kagami.registry..", "dev.kagami.model..",
                "dev.kagami.security.."))
        .because("adapters translate, the application layer holds the use cases, the domain does the work")
        .check(CLASSES);
  }

  /** Engine implementations are reached only through {@code engine} (found as a service, never named). */
  @Test
  void engine_implementations_are_reached_only_through_the_engine_package() {
    noClasses().that().resideOutsideOfPackage("dev.kagami.engine.djl..").should().dependOnClassesThat()
        .resideInAPackage("dev.kagami.engine.djl..").check(CLASSES);
  }

  /** The server never sets JVM-wide properties at run time: configuration comes through {@code @ConfigMapping}. */
  @Test
  void no_system_set_property() {
    noClasses().should().callMethod(System.class, "setProperty", String.class, String.class).check(CLASSES);
  }

  /** The same rule on bytecode: no parallel streams, no common pool, no async call without an executor. */
  @Test
  void no_call_reaches_the_common_fork_join_pool() {
    noClasses().should().callMethod(java.util.stream.BaseStream.class, "parallel")
        .orShould().callMethod(java.util.Collection.class, "parallelStream")
        .orShould().callMethod(java.util.concurrent.ForkJoinPool.class, "commonPool")
        .orShould().callMethod(java.util.concurrent.CompletableFuture.class, "supplyAsync", java.util.function.Supplier.class)
        .orShould().callMethod(java.util.concurrent.CompletableFuture.class, "runAsync", Runnable.class)
        .check(CLASSES);
  }

  /** Calls that would run server work on the common ForkJoin pool (a supplyAsync or runAsync without an executor). */
  static final Pattern COMMON_POOL = Pattern.compile(
      "\\.parallel\\(\\)|parallelStream\\(|ForkJoinPool|(?:supplyAsync|runAsync)\\((?:[^,()]|\\([^()]*\\))*\\)\\s*[.;)]");

  @Test
  void no_server_work_runs_on_the_common_fork_join_pool() throws IOException {
    Path root = Path.of("src/main/java/dev/kagami");
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          if (COMMON_POOL.matcher(lines.get(i)).find()) {
            found.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
          }
        }
      }
    }
    assertThat(COMMON_POOL.matcher("IntStream.range(0, n).parallel().forEach(i -> {").find()).isTrue();
    assertThat(COMMON_POOL.matcher("CompletableFuture.supplyAsync(() -> work());").find()).isTrue();
    assertThat(COMMON_POOL.matcher("CompletableFuture.supplyAsync(work, pool);").find()).isFalse();
    assertThat(found).as("use dev.kagami.concurrent.Parallel or a pool from ThreadPools").isEmpty();
  }

  /** The declared layers have no cycle (so "below" means something): a depth-first search over ALLOWED. */
  @Test
  void the_layers_have_no_cycle() {
    List<String> cycles = new ArrayList<>();
    Map<String, Integer> state = new java.util.HashMap<>();
    for (String p : ALLOWED.keySet()) {
      visit(p, state, new java.util.ArrayDeque<>(), cycles);
    }
    assertThat(cycles).isEmpty();
  }

  private static void visit(String p, Map<String, Integer> state, java.util.Deque<String> path, List<String> cycles) {
    Integer s = state.get(p);
    if (s != null) {
      if (s == 1) {
        cycles.add(String.join(" -> ", path) + " -> " + p);
      }
      return;
    }
    state.put(p, 1);
    path.addLast(p);
    for (String q : ALLOWED.getOrDefault(p, Set.of())) {
      visit(q, state, path, cycles);
    }
    path.removeLast();
    state.put(p, 2);
  }
}
