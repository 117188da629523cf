package dev.kagami.app;

import dev.kagami.embedding.ModelRegistry;
import dev.kagami.error.ErrorKind;
import dev.kagami.error.Failure;
import dev.kagami.job.JobId;
import dev.kagami.job.JobKind;
import dev.kagami.job.JobProgress;
import dev.kagami.job.JobState;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelId;
import dev.kagami.persistence.StoredRun;
import dev.kagami.training.RunManager;
import dev.kagami.training.RunSpec;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fine-tuning runs: start (with the defaults declared here), list, get, cancel, watch. The runs
 * themselves are kept and resumed by {@link RunManager}.
 */
@ApplicationScoped
public class FineTuneService {

  public static final RunSpec.Method DEFAULT_METHOD = RunSpec.Method.MCIP;
  public static final RunSpec.Trainable DEFAULT_TRAINABLE = RunSpec.Trainable.LAST_BLOCKS;
  public static final int DEFAULT_LAST_BLOCKS = 2;
  public static final int DEFAULT_EPOCHS = 3;
  public static final int DEFAULT_BATCH_SIZE = 32;
  public static final double DEFAULT_LEARNING_RATE = 1e-4;
  public static final int DEFAULT_REALIGN_EPOCHS = 3;
  public static final double DEFAULT_REALIGN_LEARNING_RATE = 1e-5;
  /** The class proxies' rate: 100x the default backbone rate, the authors' ratio (1e-4 beside 1e-6). */
  public static final double DEFAULT_PROXY_LEARNING_RATE = 1e-2;
  public static final RunSpec.Trainable DEFAULT_REALIGN_TRAINABLE = RunSpec.Trainable.LAST_BLOCKS;
  public static final int DEFAULT_REALIGN_LAST_BLOCKS = 2;
  public static final long DEFAULT_SEED = 42;
  public static final int DEFAULT_PATIENCE = 3;
  public static final int DEFAULT_MINED_TOP_K = 20;
  public static final double DEFAULT_MINED_THRESHOLD = 0.27;
  public static final int DEFAULT_LIST_LIMIT = 50;

  /** What a fine-tuning job keeps as its result. */
  public record RunResult(String runId, String resultModel, String baseReportId, String tunedReportId) {}

  private final RunManager runs;
  private final ModelRegistry models;
  private final JobService jobs;

  public FineTuneService(RunManager runs, ModelRegistry models, JobService jobs) {
    this.runs = runs;
    this.models = models;
    this.jobs = jobs;
  }

  /** Runs that were resumed (or left unfinished) at start-up are followed as jobs again. */
  void onStart(@jakarta.enterprise.event.Observes @jakarta.annotation.Priority(250) io.quarkus.runtime.StartupEvent ev) {
    for (dev.kagami.job.Job j : jobs.list(JobKind.FINETUNE, JobState.RUNNING, JobService.MAX_LIST_LIMIT)) {
      follow(runs.get(j.id().value()));
    }
    for (dev.kagami.job.Job j : jobs.list(JobKind.FINETUNE, JobState.QUEUED, JobService.MAX_LIST_LIMIT)) {
      follow(runs.get(j.id().value()));
    }
  }

  /** Checks the command (every default filled in) and queues the run; it is listed with the jobs under its id. */
  public StoredRun start(StartRunCommand c) {
    String id = RunManager.newId();
    StoredRun r = runs.start(id, spec(c, id));
    follow(r);
    return r;
  }

  /** Mirrors a run into the jobs: its state, its steps as progress, its outcome. */
  private void follow(StoredRun r) {
    JobId id = new JobId(r.id());
    jobs.track(JobKind.FINETUNE, id, configTree(r), () -> cancelQuietly(r.id()));
    runs.watch(r.id(), u -> {
      if (u instanceof RunManager.Update.Snapshot s) {
        StoredRun run = s.run();
        JobProgress p = new JobProgress(run.stage(), run.step(), run.totalSteps(), -1);
        Failure f = switch (run.state()) {
          case FAILED -> new Failure(ErrorKind.INTERNAL, run.error() == null ? "the run failed" : run.error());
          case CANCELLED -> new Failure(ErrorKind.CANCELLED, run.error() == null ? "cancelled" : run.error());
          default -> null;
        };
        jobs.mirror(id, run.state(), p, run.state() == JobState.SUCCEEDED ? new RunResult(run.id(), run.resultModel(),
            run.baseReportId(), run.tunedReportId()) : null, f);
      } else if (u instanceof RunManager.Update.Progress p) {
        jobs.mirror(id, JobState.RUNNING, new JobProgress(p.stage(), p.step().step(), p.step().totalSteps(), p.etaSeconds()),
            null, null);
      }
    });
  }

  private static Object configTree(StoredRun r) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.config());
    } catch (java.io.IOException e) {
      return r.config();
    }
  }

  private void cancelQuietly(String runId) {
    try {
      runs.cancel(runId);
    } catch (dev.kagami.error.KagamiException.FailedPrecondition e) {
      // it ended meanwhile; its last snapshot ends the job
    }
  }

  /** The command with every default filled in; captions default to the dataset's, or label templates when it has none. */
  RunSpec spec(StartRunCommand c, String id) {
    String name;
    String version;
    if (c.baseModel() == null) {
      ModelRuntime a = models.active();
      name = a.name();
      version = a.version();
    } else {
      name = c.baseModel().name();
      version = c.baseModel().version();
      if (version.isEmpty()) {
        throw new InvalidInput("the base model's version is required with its name");
      }
    }
    Integer patience = c.patience();
    if (patience != null && patience < -1) {
      throw new InvalidInput("patience must be -1 (never stop early), 0 or unset (the default, " + DEFAULT_PATIENCE
          + ") or positive; is " + patience);
    }
    int p = patience == null || patience == 0 ? DEFAULT_PATIENCE : patience < 0 ? 0 : patience;
    RunSpec s = new RunSpec(name, version, c.dataset(), or(c.method(), DEFAULT_METHOD), or(c.trainable(), DEFAULT_TRAINABLE),
        or(c.lastBlocks(), DEFAULT_LAST_BLOCKS), or(c.epochs(), DEFAULT_EPOCHS), or(c.batchSize(), DEFAULT_BATCH_SIZE),
        or(c.learningRate(), DEFAULT_LEARNING_RATE), or(c.realignEpochs(), DEFAULT_REALIGN_EPOCHS),
        or(c.realignLearningRate(), DEFAULT_REALIGN_LEARNING_RATE), or(c.seed(), DEFAULT_SEED), or(c.validateEvery(), 0), p,
        or(c.captions(), RunSpec.CaptionSource.DATASET), or(c.minedTopK(), DEFAULT_MINED_TOP_K),
        or(c.minedThreshold(), DEFAULT_MINED_THRESHOLD), or(c.maxTrainImages(), 0),
        c.newVersion() == null || c.newVersion().isEmpty() ? "ft-" + id.substring(0, 8) : c.newVersion(),
        or(c.proxyLearningRate(), DEFAULT_PROXY_LEARNING_RATE), or(c.realignTrainable(), DEFAULT_REALIGN_TRAINABLE),
        or(c.realignLastBlocks(), DEFAULT_REALIGN_LAST_BLOCKS), or(c.realignWarmupSteps(), 0),
        Boolean.TRUE.equals(c.realignTrainEmbeddings()));
    return c.captions() == null ? runs.defaultCaptions(s) : s;
  }

  /** {@code v}, or {@code def} when it is unset (null, or the zero that proto and forms send for "unset"). */
  private static <T> T or(T v, T def) {
    if (v == null || (v instanceof Number n && n.doubleValue() == 0)) {
      return def;
    }
    return v;
  }

  public StoredRun get(String id) {
    return runs.get(id);
  }

  public List<StoredRun> list(int limit) {
    if (limit < 0) {
      throw new InvalidInput("limit must be 0 (default " + DEFAULT_LIST_LIMIT + ") or more, is " + limit);
    }
    return runs.list(limit == 0 ? DEFAULT_LIST_LIMIT : limit);
  }

  public StoredRun cancel(String id) {
    return runs.cancel(id);
  }

  /** See {@link RunManager#watch}. */
  public Runnable watch(String id, Consumer<RunManager.Update> watcher) {
    return runs.watch(id, watcher);
  }

  /** The model a run made (null while it has none). */
  public static ModelId resultModel(StoredRun r) {
    return r.resultModel() == null ? null : ModelId.parse(r.resultModel());
  }
}
