package dev.kagami.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImageRefResolver;
import dev.kagami.dataset.ImageSource;
import dev.kagami.dataset.Skipped;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.evaluation.EvaluationReport;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One suite, run against every database Kagami supports (H2 and PostgreSQL). */
abstract class RepositoryContract {

  abstract DataSource dataSource();

  DatasetRepository datasets;
  dev.kagami.evaluation.ReportStore reports;
  RunRepository runs;
  JobRepository jobs;
  ModelRepository models;

  @BeforeEach
  void migrateFresh() {
    Flyway flyway = Flyway.configure().dataSource(dataSource()).locations("classpath:db/migration").cleanDisabled(false).load();
    flyway.clean();
    flyway.migrate();
    datasets = new DatasetRepository(dataSource(), new ImageRefResolver());
    reports = new dev.kagami.evaluation.ReportStore(new ReportRepository(dataSource()));
    runs = new RunRepository(dataSource());
    jobs = new JobRepository(dataSource());
    models = new ModelRepository(dataSource());
  }

  @Test
  void replicas_heartbeat_and_the_live_ones_are_those_seen_recently() {
    ReplicaRepository replicas = new ReplicaRepository(dataSource());
    Instant t0 = Instant.parse("2026-11-07T10:00:00Z");
    replicas.heartbeat(new dev.kagami.registry.Replica("a", "host-a", t0, t0, java.util.Map.of("production", 1L),
        java.util.Map.of("production", "m/1")));
    replicas.heartbeat(new dev.kagami.registry.Replica("b", "host-b", t0, t0.plusSeconds(10), java.util.Map.of(), java.util.Map.of()));
    replicas.heartbeat(new dev.kagami.registry.Replica("a", "host-a", t0, t0.plusSeconds(20), java.util.Map.of("production", 2L,
        "candidate", 1L), java.util.Map.of("production", "m/2", "candidate", "m/3")));
    List<dev.kagami.registry.Replica> live = replicas.seenSince(t0.plusSeconds(15));
    assertThat(live).extracting(dev.kagami.registry.Replica::id).containsExactly("a");
    assertThat(live.get(0).generations()).containsEntry("production", 2L).containsEntry("candidate", 1L);
    assertThat(live.get(0).versions()).containsEntry("production", "m/2");
    assertThat(live.get(0).startedAt()).isEqualTo(t0);
    assertThat(replicas.seenSince(t0)).hasSize(2);
    replicas.remove("a");
    assertThat(replicas.seenSince(t0)).extracting(dev.kagami.registry.Replica::id).containsExactly("b");
  }

  static dev.kagami.registry.ModelVersion version(String v, String checksum) {
    return new dev.kagami.registry.ModelVersion(new dev.kagami.model.ModelId("m", v), "KAGAMI", 32, checksum, 1234,
        List.of("onnxruntime", "pytorch"), dev.kagami.registry.ModelVersion.Origin.TRAINED,
        java.util.Optional.of(new dev.kagami.registry.ModelVersion.Lineage("run-1", new dev.kagami.model.ModelId("m", "1"),
            "MCIP", "shop")), java.util.Optional.of(0.99999), "tuned", "run run-1", Instant.parse("2026-11-05T10:00:00Z"));
  }

  static dev.kagami.registry.AliasEvent move(String alias, String from, String to, long generation) {
    return new dev.kagami.registry.AliasEvent(0, alias, from == null ? dev.kagami.registry.AliasEvent.Kind.INITIAL
        : dev.kagami.registry.AliasEvent.Kind.PROMOTE, java.util.Optional.ofNullable(from).map(dev.kagami.model.ModelId::parse),
        dev.kagami.model.ModelId.parse(to), generation, "ann", "why", java.util.Optional.of(dev.kagami.registry.GateVerdict.of(
            "m/1", to, "shop", "test", "r1", "r2", List.of(new dev.kagami.registry.GateVerdict.Rule("image-to-image mAP", 0.5,
                0.4, ">= current + 0.000", false, "below")))), from != null, Instant.parse("2026-11-06T10:00:00Z"));
  }

  @Test
  void model_versions_never_change_and_aliases_move_by_compare_and_set_with_their_audit_row() {
    dev.kagami.registry.ModelVersion v2 = version("2", "a".repeat(64));
    assertThat(models.register(v2)).isEqualTo(v2);
    assertThat(models.version(v2.id())).contains(v2);
    assertThat(models.register(v2)).as("the same files again: the same version").isEqualTo(v2);
    assertThatThrownBy(() -> models.register(version("2", "b".repeat(64))))
        .isInstanceOf(dev.kagami.error.KagamiException.FailedPrecondition.class).hasMessageContaining("never changes");
    models.register(version("3", "c".repeat(64)));
    assertThat(models.versions()).extracting(v -> v.id().version()).containsExactlyInAnyOrder("2", "3");

    models.move(move("production", null, "m/2", 1));
    assertThatThrownBy(() -> models.move(move("production", null, "m/3", 1)))
        .as("a second creation loses").isInstanceOf(dev.kagami.error.KagamiException.FailedPrecondition.class);
    models.move(move("production", "m/2", "m/3", 2));
    assertThatThrownBy(() -> models.move(move("production", "m/2", "m/3", 2)))
        .as("a move from a stale generation loses").isInstanceOf(dev.kagami.error.KagamiException.FailedPrecondition.class)
        .hasMessageContaining("moved by someone else");
    assertThat(models.alias("production").orElseThrow().target().toString()).isEqualTo("m/3");
    assertThat(models.alias("production").orElseThrow().generation()).isEqualTo(2);
    List<dev.kagami.registry.AliasEvent> log = models.events("production", 10);
    assertThat(log).extracting(e -> e.to().toString()).containsExactly("m/3", "m/2");
    assertThat(log.get(0).verdict().orElseThrow().rules().get(0).candidate()).isEqualTo(0.4);
    assertThat(log.get(0).overridden()).isTrue();
    assertThat(log.get(1).from()).isEmpty();
    assertThat(models.events(null, 10)).hasSize(2);

    assertThat(models.gateRules("production")).isEmpty();
    models.setGateRules("production", new dev.kagami.registry.GateRules(0.01, 0.02, 0.05, 500, false));
    models.setGateRules("production", new dev.kagami.registry.GateRules(0.02, 0.02, 0.05, 500, true));
    assertThat(models.gateRules("production")).contains(new dev.kagami.registry.GateRules(0.02, 0.02, 0.05, 500, true));
    models.delete(v2.id());
    assertThat(models.version(v2.id())).isEmpty();
  }

  static dev.kagami.job.Job job(String id, dev.kagami.job.JobKind kind, String created) {
    Instant t = Instant.parse(created);
    return new dev.kagami.job.Job(new dev.kagami.job.JobId(id), kind, dev.kagami.job.JobState.QUEUED, t, t,
        "{\"name\":\"ünï\"}", dev.kagami.job.JobProgress.QUEUED, null, null);
  }

  @Test
  void jobs_round_trip_filter_by_kind_and_state_and_unfinished_ones_are_found() {
    jobs.create(job("j1", dev.kagami.job.JobKind.IMPORT_DATASET, "2026-11-01T10:00:00Z"));
    jobs.create(job("j2", dev.kagami.job.JobKind.EVALUATION, "2026-11-02T10:00:00Z"));
    jobs.create(job("j3", dev.kagami.job.JobKind.EVALUATION, "2026-11-03T10:00:00Z"));
    dev.kagami.job.Job j2 = jobs.find(new dev.kagami.job.JobId("j2")).orElseThrow();
    assertThat(j2).isEqualTo(job("j2", dev.kagami.job.JobKind.EVALUATION, "2026-11-02T10:00:00Z"));
    Instant later = Instant.parse("2026-11-02T10:05:00Z");
    dev.kagami.job.Job running = j2.withState(dev.kagami.job.JobState.RUNNING, later)
        .withProgress(new dev.kagami.job.JobProgress("embedding images", 10, 40, 12.5), later);
    jobs.update(running);
    assertThat(jobs.find(running.id())).contains(running);
    dev.kagami.job.Job failed = running.ended(dev.kagami.job.JobState.FAILED, null,
        new dev.kagami.error.Failure(dev.kagami.error.ErrorKind.UNAVAILABLE, "x".repeat(5000)), later.plusSeconds(1));
    jobs.update(failed);
    dev.kagami.job.Job read = jobs.find(failed.id()).orElseThrow();
    assertThat(read.failure().kind()).isEqualTo(dev.kagami.error.ErrorKind.UNAVAILABLE);
    assertThat(read.failure().message()).hasSize(4000).endsWith("...");
    dev.kagami.job.Job done = jobs.find(new dev.kagami.job.JobId("j3")).orElseThrow()
        .ended(dev.kagami.job.JobState.SUCCEEDED, "{\"reportId\":\"r\"}", null, later);
    jobs.update(done);
    assertThat(jobs.find(done.id()).orElseThrow().result()).isEqualTo("{\"reportId\":\"r\"}");

    assertThat(jobs.list(null, null, 10)).extracting(j -> j.id().value()).containsExactly("j3", "j2", "j1");
    assertThat(jobs.list(dev.kagami.job.JobKind.EVALUATION, null, 10)).extracting(j -> j.id().value()).containsExactly("j3", "j2");
    assertThat(jobs.list(null, dev.kagami.job.JobState.FAILED, 10)).extracting(j -> j.id().value()).containsExactly("j2");
    assertThat(jobs.list(null, null, 1)).hasSize(1);
    assertThat(jobs.unfinished()).extracting(j -> j.id().value()).containsExactly("j1");
    assertThat(jobs.find(new dev.kagami.job.JobId("nope"))).isEmpty();
  }

  static Dataset sample(String name, int n, String longLabelAt) {
    List<DatasetItem> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String label = ("" + i).equals(longLabelAt) ? "x".repeat(600) : "class-" + (i % 3);
      items.add(new DatasetItem("item-" + i, label, i % 2 == 0 ? List.of("caption " + i, "ünïcödé ✓") : List.of(),
          Map.of("sku", "S" + i), new ImageSource.File(Path.of("/data/img-" + i + ".png"))));
    }
    return Dataset.of(name, "folder:/data", items, List.of(new Skipped("/data/bad.jpg", "image could not be decoded")));
  }

  @Test
  void a_dataset_round_trips_with_its_splits() {
    Splits.Spec spec = new Splits.Spec("stratified", 7, new Splits.Fractions(0.6, 0.2, 0.2));
    StoredDataset saved = datasets.save(sample("shop", 30, null), spec);
    StoredDataset read = datasets.find("shop").orElseThrow();
    assertThat(read.id()).isEqualTo(saved.id());
    assertThat(read.spec()).isEqualTo(spec);
    assertThat(read.splits()).isEqualTo(saved.splits());
    assertThat(read.dataset().items()).isEqualTo(saved.dataset().items());
    assertThat(read.dataset().classes()).containsExactly("class-0", "class-1", "class-2");
    assertThat(read.dataset().skipped()).containsExactly(new Skipped("/data/bad.jpg", "image could not be decoded"));
    assertThat(read.count(Split.TRAIN)).isEqualTo(18);
    assertThat(datasets.list()).singleElement().satisfies(s -> {
      assertThat(s.name()).isEqualTo("shop");
      assertThat(s.items()).isEqualTo(30);
      assertThat(s.classes()).isEqualTo(3);
      assertThat(s.skipped()).isEqualTo(1);
    });
    assertThat(datasets.find("nope")).isEmpty();
  }

  @Test
  void names_are_unique_and_a_failed_import_leaves_nothing_behind() {
    Splits.Spec spec = new Splits.Spec("stratified", 1, new Splits.Fractions(0.8, 0.1, 0.1));
    datasets.save(sample("a", 5, null), spec);
    assertThatThrownBy(() -> datasets.save(sample("a", 5, null), spec)).isInstanceOf(FailedPrecondition.class)
        .hasMessageContaining("exists already");
    // item 3's label is longer than the column: the insert fails mid-way and the whole dataset is rolled back
    assertThatThrownBy(() -> datasets.save(sample("b", 5, "3"), spec)).isInstanceOf(IllegalStateException.class);
    assertThat(datasets.find("b")).isEmpty();
    assertThat(datasets.list()).extracting(DatasetRepository.Summary::name).containsExactly("a");
    assertThat(datasets.delete("a")).isTrue();
    assertThat(datasets.delete("a")).isFalse();
    assertThat(datasets.list()).isEmpty();
  }

  static EvaluationReport report(String id, String createdAt, String model, String dataset) {
    return new EvaluationReport(id, createdAt, model, "onnxruntime", dataset, "test", 42, 10, 2, "simple",
        new EvaluationReport.Summary(0.5, 0.25, 0.75, 0.6, null, null, null, null, 0),
        List.of(new EvaluationReport.ClassRow("a", 5, 0.5, 1.0, 0.6, null, null)),
        new EvaluationReport.Operations(10, 0, 100.0, 1.5, 3.0, 32, 128, 0.1, 0.01), List.of("a note"));
  }

  @Test
  void reports_round_trip_and_list_newest_first_with_filters() {
    reports.save(report("r1", "2026-11-01T10:00:00Z", "m/1", "shop"));
    reports.save(report("r2", "2026-11-02T10:00:00Z", "m/2", "shop"));
    reports.save(report("r3", "2026-11-03T10:00:00Z", "m/2", "other"));
    assertThat(reports.get("r2").orElseThrow()).usingRecursiveComparison().isEqualTo(report("r2", "2026-11-02T10:00:00Z", "m/2", "shop"));
    assertThat(reports.get("nope")).isEmpty();
    assertThat(reports.list(null, null, 10)).extracting(EvaluationReport::id).containsExactly("r3", "r2", "r1");
    assertThat(reports.list("shop", null, 10)).extracting(EvaluationReport::id).containsExactly("r2", "r1");
    assertThat(reports.list(null, "m/2", 1)).extracting(EvaluationReport::id).containsExactly("r3");
  }

  static StoredRun run(String id, String created, String state) {
    Instant t = Instant.parse(created);
    return new StoredRun(id, t, t, dev.kagami.job.JobState.valueOf(state), "{\"method\":\"MCIP\"}", 42, "shop", "m/1", "queued", 0, 0, null, null, null, null,
        Map.of(), List.of());
  }

  @Test
  void runs_round_trip_with_their_history_and_unfinished_ones_are_found() {
    runs.create(run("a", "2026-11-01T10:00:00Z", "SUCCEEDED"));
    runs.create(run("b", "2026-11-02T10:00:00Z", "QUEUED"));
    runs.create(run("c", "2026-11-03T10:00:00Z", "QUEUED"));
    StoredRun b = runs.get("b").orElseThrow();
    StoredRun running = new StoredRun("b", b.createdAt(), Instant.parse("2026-11-02T11:00:00Z"), dev.kagami.job.JobState.RUNNING, b.config(), 42, "shop",
        "m/1", "image", 7, 40, null, null, null, null, Map.of("prepare", 1.5), List.of());
    runs.update(running);
    runs.addPoint("b", new StoredRun.Point(Instant.parse("2026-11-02T10:30:00Z"), "image", 0, null, Map.of("i2i_map", 0.25), true));
    runs.addPoint("b", new StoredRun.Point(Instant.parse("2026-11-02T10:40:00Z"), "image", 5, 1.25, Map.of("i2i_map", 0.5), true));
    StoredRun read = runs.get("b").orElseThrow();
    assertThat(read.state()).isEqualTo(dev.kagami.job.JobState.RUNNING);
    assertThat(read.step()).isEqualTo(7);
    assertThat(read.totalSteps()).isEqualTo(40);
    assertThat(read.timings()).containsEntry("prepare", 1.5);
    assertThat(read.config()).isEqualTo("{\"method\":\"MCIP\"}");
    assertThat(read.history()).extracting(StoredRun.Point::step).containsExactly(0, 5);
    assertThat(read.history().get(0).loss()).isNull();
    assertThat(read.history().get(1).loss()).isEqualTo(1.25);
    assertThat(read.history().get(1).kpis()).containsEntry("i2i_map", 0.5);
    assertThat(runs.list(10)).extracting(StoredRun::id).containsExactly("c", "b", "a");
    assertThat(runs.unfinished()).extracting(StoredRun::id).containsExactlyInAnyOrder("b", "c");
    assertThat(runs.get("nope")).isEmpty();
    StoredRun failed = new StoredRun("c", read.createdAt(), Instant.now(), dev.kagami.job.JobState.FAILED, read.config(), 42, "shop", "m/1", "image", 0,
        0, null, null, null, "x".repeat(5000), Map.of(), List.of());
    runs.update(failed);
    assertThat(runs.get("c").orElseThrow().error()).hasSize(4000);
  }
}
