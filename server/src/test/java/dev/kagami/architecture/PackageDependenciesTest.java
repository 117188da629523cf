package dev.kagami.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Holds the layering of the server's packages: each package may use only the packages listed for it, so
 * dependencies point one way, and engine implementations are reached only through {@code engine}.
 * Reads the imports and fully qualified references of every main source file.
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
      Map.entry("embedding", Set.of("engine", "preprocess", "model", "error", "config")),
      Map.entry("dataset", Set.of("preprocess", "concurrent", "error")),
      Map.entry("evaluation", Set.of("dataset", "embedding", "engine", "preprocess", "model", "concurrent", "error")),
      Map.entry("persistence", Set.of("dataset", "evaluation", "job", "error", "config")),
      Map.entry("index", Set.of("error")),
      Map.entry("index.solr", Set.of("index", "error")),
      Map.entry("finetune", Set.of("finetune.onnx", "embedding", "engine", "model", "preprocess", "concurrent", "error")),
      Map.entry("training", Set.of("finetune", "dataset", "evaluation", "embedding", "engine", "model", "preprocess", "persistence", "job", "concurrent", "error", "config")),
      Map.entry("app", Set.of("training", "finetune", "embedding", "evaluation", "dataset", "persistence", "preprocess", "index",
          "index.solr", "model", "job", "concurrent", "error", "config")),
      Map.entry("api.grpc", Set.of("app", "training", "embedding", "evaluation", "dataset", "persistence", "preprocess", "index",
          "model", "job", "error", "config")),
      Map.entry("api.rest", Set.of("app", "training", "embedding", "evaluation", "dataset", "persistence", "index", "model",
          "job", "error", "config")));

  static final Pattern REF = Pattern.compile("dev\\.kagami\\.([a-z]+(?:\\.[a-z]+)*)\\.[A-Z]");

  @Test
  void packages_depend_only_on_the_layers_below_them() throws IOException {
    Path root = Path.of("src/main/java/dev/kagami");
    List<String> violations = new ArrayList<>();
    int references = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = root.relativize(f.getParent()).toString().replace('/', '.');
        Set<String> allowed = ALLOWED.get(pkg);
        if (allowed == null) {
          violations.add(f + ": package " + pkg + " has no declared layer (add it to ALLOWED)");
          continue;
        }
        Matcher m = REF.matcher(Files.readString(f));
        while (m.find()) {
          String used = m.group(1);
          references++;
          if (!used.equals(pkg) && !used.startsWith("api.v1") && !allowed.contains(used)) {
            violations.add(f.getFileName() + " (" + pkg + ") uses " + used);
          }
        }
      }
    }
    assertThat(references).as("cross-package references found (the scan is not vacuous)").isGreaterThan(50);
    assertThat(violations).isEmpty();
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
