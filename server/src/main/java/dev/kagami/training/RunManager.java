package dev.kagami.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.config.KagamiConfig;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.error.KagamiException;
import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.error.KagamiException.Overloaded;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.finetune.ImageTuner;
import dev.kagami.job.JobState;
import dev.kagami.model.ModelId;
import dev.kagami.model.ModelPackage;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.RunRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.persistence.StoredRun;
import dev.kagami.preprocess.ImageDecoder;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Fine-tuning runs as background jobs: one training thread (a run uses every core), a bounded queue,
 * cancellation, watchers, and every state change, step and validation written to the database. Runs that
 * were queued or running when the server stopped are resumed at start-up from their checkpoints
 * ({@link FineTuneRunner}).
 */
@ApplicationScoped
public class RunManager {

  private static final Logger LOG = Logger.getLogger(RunManager.class);


  /** What watchers of a run receive. */
  public sealed interface Update {
    /** The run as it is now: first, at each stage change, and last (with an ended state). */
    record Snapshot(StoredRun run) implements Update {}

    record Progress(String stage, ImageTuner.StepLog step, double etaSeconds) implements Update {}

    record Validation(StoredRun.Point point) implements Update {}
  }

  private final RunRepository runs;
  private final DatasetRepository datasets;
  private final ModelRegistry models;
  private final jakarta.enterprise.event.Event<RunSucceeded> trained;
  private final Evaluations evaluations;
  private final KagamiConfig config;
  private final ImageDecoder decoder;
  private final ObjectMapper json = new ObjectMapper();
  private final ThreadPoolExecutor pool;
  private final Map<String, ActiveRun> active = new ConcurrentHashMap<>();
  private volatile boolean suspending;
  private final boolean trains;
  private final java.util.concurrent.ScheduledExecutorService scheduler;

  private final dev.kagami.concurrent.Parallel parallel;

  public RunManager(RunRepository runs, DatasetRepository datasets, ModelRegistry models, Evaluations evaluations,
      KagamiConfig config, ImageDecoder decoder, dev.kagami.concurrent.Parallel parallel, dev.kagami.concurrent.ThreadPools pools,
      jakarta.enterprise.event.Event<RunSucceeded> trained) {
    this.trained = trained;
    this.parallel = parallel;
    this.runs = runs;
    this.datasets = datasets;
    this.models = models;
    this.evaluations = evaluations;
    this.config = config;
    this.decoder = decoder;
    this.pool = pools.bounded("finetune", 1, config.finetune().queuedRuns());
    this.trains = config.finetune().executeRuns();
    this.scheduler = pools.scheduled("finetune-poll");
  }

  void onStart(@Observes @Priority(200) StartupEvent ev) {
    if (!trains) {
      LOG.info("fine-tuning: this process records runs; a training process (kagami.finetune.execute-runs=true) runs them");
      return;
    }
    long every = config.finetune().pollInterval().toMillis();
    if (every > 0) {
      scheduler.scheduleWithFixedDelay(this::pollQuietly, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    if (!config.finetune().resumeOnStart()) {
      return;
    }
    for (StoredRun r : runs.unfinished()) {
      LOG.infof("resuming fine-tuning run %s (%s at %s step %d)", r.id(), r.state(), r.stage(), r.step());
      ActiveRun a = new ActiveRun(r, runs);
      active.put(r.id(), a);
      try {
        submit(a);
      } catch (RejectedExecutionException e) {
        active.remove(r.id());
        finish(a, JobState.FAILED, "not resumed at start-up: the run queue is full", null);
      }
    }
  }

  /** True once a shutdown has begun suspending the runs. */
  boolean suspending() {
    return suspending;
  }

  /** Whether a run is queued or running here, or unfinished in the database (a training process takes it). */
  public boolean hasWork() {
    return !active.isEmpty() || !runs.unfinished().isEmpty();
  }

  public static String newId() {
    return UUID.randomUUID().toString();
  }

  /** Checks and records a run, and queues it. */
  public StoredRun start(String id, RunSpec spec) {
    StoredDataset d = datasets.find(spec.dataset()).orElseThrow(() -> new NotFound("no dataset named '" + spec.dataset() + "'"));
    ModelPackage base = new RunPreconditions(config.model().repository()).check(spec, d);
    if (pool.getQueue().remainingCapacity() == 0) {
      throw new Overloaded("too many fine-tuning runs queued; retry later");
    }
    Instant now = Instant.now();
    StoredRun r = new StoredRun(id, now, now, JobState.QUEUED, toJson(spec), spec.seed(), spec.dataset(), base.id(), "queued", 0, 0, null,
        null, null, null, Map.of(), List.of());
    runs.create(r);
    if (!trains) {
      return r; // a training process claims it
    }
    ActiveRun a = new ActiveRun(r, runs);
    active.put(id, a);
    try {
      submit(a);
    } catch (RejectedExecutionException e) {
      active.remove(id);
      finish(a, JobState.FAILED, "the run queue is full", null);
      throw new Overloaded("too many fine-tuning runs queued; retry later");
    }
    return r;
  }

  private void submit(ActiveRun a) {
    Runnable task = () -> execute(a);
    a.task = task;
    pool.execute(task);
  }

  /** {@code spec} with DATASET captions if its dataset has any captions, else LABEL_TEMPLATES. */
  public RunSpec defaultCaptions(RunSpec s) {
    StoredDataset d = datasets.find(s.dataset()).orElseThrow(() -> new NotFound("no dataset named '" + s.dataset() + "'"));
    boolean has = d.dataset().items().stream().anyMatch(it -> !it.captions().isEmpty());
    return s.withCaptions(has ? RunSpec.CaptionSource.DATASET : RunSpec.CaptionSource.LABEL_TEMPLATES);
  }

  public StoredRun get(String id) {
    return runs.get(id).orElseThrow(() -> new NotFound("no fine-tuning run with id '" + id + "'"));
  }

  public List<StoredRun> list(int limit) {
    return runs.list(limit);
  }

  /** Asks a queued or running run to stop; it ends CANCELLED at its next step. */
  public StoredRun cancel(String id) {
    StoredRun r = get(id);
    ActiveRun a = active.get(id);
    if (isEnded(r.state())) {
      throw new FailedPrecondition("run " + id + " has ended (" + r.state() + ")");
    }
    if (a == null) { // recorded here, or trained by another process
      if (!runs.cancelQueued(id, "cancelled before it started")) {
        runs.requestCancel(id); // the training process ends it at its next poll
      }
      return get(id);
    }
    a.cancelled = true;
    if (pool.remove(a.task)) { // not started yet
      active.remove(id);
      finish(a, JobState.CANCELLED, "cancelled before it started", null);
    }
    return get(id);
  }

  /**
   * Sends the run's current snapshot to {@code watcher}, then its updates until it ends (a snapshot with
   * an ended state is the last). Returns what stops the watching early.
   */
  public Runnable watch(String id, Consumer<Update> watcher) {
    StoredRun r = get(id);
    ActiveRun a = active.get(id);
    if (a == null && !isEnded(r.state())) {
      return StoredRunWatch.follow(runs, scheduler, Math.max(200, config.finetune().pollInterval().toMillis()), r, watcher);
    }
    if (a == null) {
      watcher.accept(new Update.Snapshot(r));
      return () -> { };
    }
    return a.subscribe(watcher);
  }

  /**
   * On a training process: passes on cancellations asked of other processes, and takes the runs they
   * queued while this one has room. Called every {@code kagami.finetune.poll-interval}.
   */
  void poll() {
    if (!trains || suspending) {
      return;
    }
    for (ActiveRun a : active.values()) {
      if (!a.cancelled && runs.cancelRequested(a.id)) {
        cancel(a.id);
      }
    }
    List<StoredRun> queued = new java.util.ArrayList<>(runs.unfinished());
    java.util.Collections.reverse(queued); // oldest first
    for (StoredRun r : queued) {
      if (r.state() != JobState.QUEUED || active.containsKey(r.id()) || pool.getQueue().remainingCapacity() == 0) {
        continue;
      }
      ActiveRun a = new ActiveRun(r, runs);
      active.put(r.id(), a);
      try {
        submit(a);
        LOG.infof("fine-tuning run %s (queued by another process) taken", r.id());
      } catch (RejectedExecutionException e) {
        active.remove(r.id());
      }
    }
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      LOG.warnf("fine-tuning poll failed: %s", e.getMessage());
    }
  }

  public static boolean isEnded(JobState state) {
    return state.ended();
  }

  private void execute(ActiveRun a) {
    if (suspending) {
      active.remove(a.id); // stays QUEUED in the database: the next start runs it
      return;
    }
    if (a.cancelled) {
      active.remove(a.id);
      finish(a, JobState.CANCELLED, "cancelled before it started", null);
      return;
    }
    a.task = null;
    if (a.current.state() == JobState.QUEUED && !runs.claim(a.id)) {
      active.remove(a.id); // another process took it, or it was cancelled meanwhile
      return;
    }
    try {
      RunSpec spec = json.readValue(a.current.config(), RunSpec.class);
      StoredDataset d = datasets.find(spec.dataset())
          .orElseThrow(() -> new NotFound("dataset '" + spec.dataset() + "' was deleted"));
      ModelPackage base = new RunPreconditions(config.model().repository()).basePackage(spec);
      a.update(r -> with(r, JobState.RUNNING, r.stage(), r.step(), r.totalSteps()), true);
      Path runDir = config.finetune().runs().resolve(a.id);
      FineTuneRunner runner = new FineTuneRunner(decoder, config.model().repository().toAbsolutePath(), parallel)
          .suspendingWhen(() -> suspending);
      FineTuneRunner.Result res = runner.run(spec, base, d.dataset(), d.splits(), runDir, new RunProgress(a, runs), () -> a.cancelled,
          Optional.of((name, version) -> {
            // a runtime scoped to the evaluation: loaded for it and closed after it, unless it serves
            try (ModelRegistry.Lease lease = models.lease(name, version)) {
              return evaluations.evaluate(lease.runtime(), d, Split.TEST, Evaluator.Options.defaults(), ImportProgress.NONE);
            }
          }));
      finish(a, JobState.SUCCEEDED, null, res);
      trained.fire(new RunSucceeded(a.id, ModelId.parse(res.resultModel()), new ModelId(spec.baseName(), spec.baseVersion()),
          spec.method().name(), spec.dataset(), res.parity()));
    } catch (Cancelled e) {
      finish(a, JobState.CANCELLED, e.getMessage(), null);
    } catch (dev.kagami.error.KagamiException.Suspended e) {
      // RUNNING in the database with a checkpoint at its step: the next start (here or elsewhere) resumes it
      LOG.infof("fine-tuning run %s: %s", a.id, e.getMessage());
    } catch (KagamiException e) {
      finish(a, JobState.FAILED, e.getMessage(), null);
    } catch (RuntimeException | JsonProcessingException | Error e) {
      LOG.errorf(e, "fine-tuning run %s failed", a.id);
      finish(a, JobState.FAILED, e.getClass().getSimpleName() + ": " + e.getMessage(), null);
    } finally {
      active.remove(a.id);
    }
  }

  private void finish(ActiveRun a, JobState state, String error, FineTuneRunner.Result res) {
    a.update(r -> new StoredRun(r.id(), r.createdAt(), Instant.now(), state, r.config(), r.seed(), r.dataset(), r.baseModel(),
        res != null ? "done" : r.stage(), r.step(), r.totalSteps(), res != null ? res.resultModel() : null,
        res != null ? res.base().map(x -> x.id()).orElse(null) : null,
        res != null ? res.tuned().map(x -> x.id()).orElse(null) : null, error,
        res != null ? res.timings() : r.timings(), List.of()), true);
  }

  static StoredRun with(StoredRun r, JobState state, String stage, int step, int total) {
    return new StoredRun(r.id(), r.createdAt(), Instant.now(), state, r.config(), r.seed(), r.dataset(), r.baseModel(), stage,
        step, total, r.resultModel(), r.baseReportId(), r.tunedReportId(), r.error(), r.timings(), List.of());
  }

  private String toJson(RunSpec spec) {
    try {
      return json.writeValueAsString(spec);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stops without losing work: queued runs stay QUEUED in the database; the running one writes a checkpoint
   * at its next step and stays RUNNING (both resume at the next start). The training thread is not
   * interrupted (an interrupt could break a checkpoint being written) unless it overruns
   * {@code kagami.finetune.suspend-timeout}.
   */
  @PreDestroy
  void close() {
    suspending = true;
    scheduler.shutdownNow();
    List<Runnable> waiting = new java.util.ArrayList<>();
    pool.getQueue().drainTo(waiting);
    pool.shutdown();
    long t0 = System.nanoTime();
    try {
      if (!pool.awaitTermination(config.finetune().suspendTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        LOG.warnf("fine-tuning did not reach a checkpoint within %s; stopping it (it resumes from its last checkpoint)",
            config.finetune().suspendTimeout());
        pool.shutdownNow();
      } else if (!active.isEmpty() || !waiting.isEmpty()) {
        LOG.infof("fine-tuning suspended in %d ms (%d queued runs kept queued)", (System.nanoTime() - t0) / 1_000_000,
            waiting.size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pool.shutdownNow();
    }
  }
}
