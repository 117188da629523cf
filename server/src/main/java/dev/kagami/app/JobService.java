package dev.kagami.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.error.ErrorKind;
import dev.kagami.error.Failure;
import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.error.KagamiException.Overloaded;
import dev.kagami.error.KagamiException.ShuttingDown;
import dev.kagami.job.Job;
import dev.kagami.job.JobContext;
import dev.kagami.job.JobId;
import dev.kagami.job.JobKind;
import dev.kagami.job.JobListener;
import dev.kagami.job.JobProgress;
import dev.kagami.job.JobState;
import dev.kagami.persistence.JobRepository;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import org.jboss.logging.Logger;

/**
 * Durable jobs: every long piece of work (an import, an evaluation, a re-index) is a row in the database
 * with its request, state, progress and outcome, run by a bounded pool per kind. Jobs can be listed,
 * fetched, watched and cancelled by anyone, whether or not the caller that started them is still there.
 * Jobs that were queued or running when the server stopped are marked failed at start-up, with the reason
 * (fine-tuning runs resume on their own, see {@code RunManager}).
 */
@ApplicationScoped
public class JobService {

  private static final Logger LOG = Logger.getLogger(JobService.class);

  /** The work of a job; it returns the job's result (serialised to JSON), or throws. */
  @FunctionalInterface
  public interface Work {
    Object run(JobContext context) throws Exception;
  }

  private final JobRepository repository;
  private final Clock clock;
  private final long progressIntervalNanos;
  private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();
  private final Map<JobKind, ThreadPoolExecutor> pools = new EnumMap<>(JobKind.class);
  private final Map<JobId, Running> live = new ConcurrentHashMap<>();
  /** Jobs whose work runs elsewhere (fine-tuning runs): their latest snapshot and how to cancel them. */
  private final Map<JobId, External> external = new ConcurrentHashMap<>();

  private record External(Job job, Runnable cancel, long lastWrite) {}
  private final JobWatchers watchers = new JobWatchers();
  private volatile boolean closed;

  @jakarta.inject.Inject
  public JobService(JobRepository repository, KagamiConfig config, ThreadPools threads) {
    this(repository, config.jobs(), threads, Clock.systemUTC());
  }

  JobService(JobRepository repository, KagamiConfig.Jobs c, ThreadPools threads, Clock clock) {
    this.repository = repository;
    this.clock = clock;
    this.progressIntervalNanos = c.progressInterval().toNanos();
    pools.put(JobKind.IMPORT_DATASET, threads.bounded("job-import", c.importWorkers(), c.queueCapacity()));
    pools.put(JobKind.EVALUATION, threads.bounded("job-evaluation", c.evaluationWorkers(), c.queueCapacity()));
    pools.put(JobKind.REINDEX, threads.bounded("job-reindex", c.reindexWorkers(), c.queueCapacity()));
  }

  /** Jobs that the last process left queued or running cannot continue: they end FAILED, saying why. */
  void onStart(@Observes @Priority(150) StartupEvent ev) {
    for (Job j : repository.unfinished()) {
      if (j.kind() == JobKind.FINETUNE) {
        continue;
      }
      LOG.infof("job %s (%s) was %s when the server stopped; marked failed", j.id(), j.kind(), j.state());
      repository.update(j.ended(JobState.FAILED, null, new Failure(ErrorKind.UNAVAILABLE,
          "the server stopped before the job finished; start it again"), clock.instant()));
    }
  }

  /**
   * Records a job and queues its work. The request is kept as JSON (it is shown with the job). A full
   * queue refuses the job with {@link Overloaded}, and nothing is recorded.
   */
  public Job submit(JobKind kind, Object request, Work work) {
    if (closed) {
      throw new ShuttingDown();
    }
    ThreadPoolExecutor pool = pools.get(kind);
    if (pool == null) {
      throw new IllegalArgumentException("jobs of kind " + kind + " are not run by the job service");
    }
    if (pool.getQueue().remainingCapacity() == 0 && pool.getActiveCount() >= pool.getMaximumPoolSize()) {
      throw overloaded(kind);
    }
    Instant now = clock.instant();
    Job job = new Job(JobId.random(), kind, JobState.QUEUED, now, now, toJson(request), JobProgress.QUEUED, null, null);
    repository.create(job);
    Running r = new Running(job, work);
    live.put(job.id(), r);
    try {
      pool.execute(r);
    } catch (RejectedExecutionException e) {
      live.remove(job.id());
      repository.update(job.ended(JobState.FAILED, null, new Failure(ErrorKind.RESOURCE_EXHAUSTED, "the queue was full"),
          clock.instant()));
      throw closed ? new ShuttingDown() : overloaded(kind);
    }
    return job;
  }

  private static Overloaded overloaded(JobKind kind) {
    return new Overloaded("too many " + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
        + " jobs queued; retry later");
  }

  public Job get(JobId id) {
    Running r = live.get(id);
    if (r != null) {
      return r.job;
    }
    External x = external.get(id);
    if (x != null) {
      return x.job();
    }
    return repository.find(id).orElseThrow(() -> new NotFound("no job with id '" + id + "'"));
  }

  public Optional<Job> find(JobId id) {
    Running r = live.get(id);
    if (r != null) {
      return Optional.of(r.job);
    }
    External x = external.get(id);
    return x != null ? Optional.of(x.job()) : repository.find(id);
  }

  /**
   * Tracks a job whose work runs elsewhere (a fine-tuning run, with its own thread and table): recorded (or
   * found again, after a restart) under the same id, listed and watched like the others; {@code cancel}
   * asks its owner to stop it. Its owner reports its changes with {@link #mirror}.
   */
  public Job track(JobKind kind, JobId id, Object request, Runnable cancel) {
    Job job = repository.find(id).orElseGet(() -> {
      Instant now = clock.instant();
      Job j = new Job(id, kind, JobState.QUEUED, now, now, toJson(request), JobProgress.QUEUED, null, null);
      repository.create(j);
      return j;
    });
    if (!job.state().ended()) {
      external.put(id, new External(job, cancel, System.nanoTime()));
    }
    return job;
  }

  /**
   * A tracked job's new state, progress and outcome ({@code result}: an object written as JSON). Stored at
   * state changes and at most once per progress interval otherwise; watchers get every one.
   */
  public void mirror(JobId id, JobState state, JobProgress progress, Object result, Failure failure) {
    External x = external.get(id);
    if (x == null) {
      return;
    }
    Instant now = clock.instant();
    Job j = x.job().withState(state, now).withProgress(progress, now);
    if (state.ended()) {
      j = j.ended(state, result == null ? null : toJson(result), failure, now);
    }
    long t = System.nanoTime();
    boolean write = state != x.job().state() || !progress.stage().equals(x.job().progress().stage())
        || t - x.lastWrite() >= progressIntervalNanos;
    if (write) {
      repository.update(j);
    }
    if (state.ended()) {
      external.remove(id);
    } else {
      external.put(id, new External(j, x.cancel(), write ? t : x.lastWrite()));
    }
    watchers.publish(j);
  }

  public static final int DEFAULT_LIST_LIMIT = 50;
  public static final int MAX_LIST_LIMIT = 1000;

  /** Jobs, newest first; filters may be null; limit 0 = {@value #DEFAULT_LIST_LIMIT}. */
  public List<Job> list(JobKind kind, JobState state, int limit) {
    if (limit < 0 || limit > MAX_LIST_LIMIT) {
      throw new dev.kagami.error.KagamiException.InvalidInput("limit must be 0 (default " + DEFAULT_LIST_LIMIT + ") to "
          + MAX_LIST_LIMIT + ", is " + limit);
    }
    return repository.list(kind, state, limit == 0 ? DEFAULT_LIST_LIMIT : limit).stream()
        .map(this::current).toList();
  }

  /** The in-memory snapshot of a job that is still going, else the stored one. */
  private Job current(Job stored) {
    Running r = live.get(stored.id());
    if (r != null) {
      return r.job;
    }
    External x = external.get(stored.id());
    return x != null ? x.job() : stored;
  }

  /**
   * Cancels a job: a queued one ends CANCELLED at once; a running one stops at its next progress report.
   * An ended job is returned as it is.
   */
  public Job cancel(JobId id) {
    External x = external.get(id);
    if (x != null) {
      x.cancel().run();
      return get(id);
    }
    Running r = live.get(id);
    if (r == null) {
      return get(id);
    }
    r.cancelRequested = true;
    if (pools.get(r.job.kind()).remove(r)) {
      r.end(JobState.CANCELLED, null, new Failure(ErrorKind.CANCELLED, "cancelled before it started"));
    }
    return r.job;
  }

  /**
   * Watches a job: the listener gets the job now, then every change; after an ended snapshot it gets no
   * more. Close the returned handle to stop earlier.
   */
  public AutoCloseable watch(JobId id, JobListener listener) {
    Job now = get(id);
    return watchers.attach(id, listener, () -> find(id).orElse(now));
  }

  private String toJson(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  @PreDestroy
  void close() {
    closed = true;
    pools.values().forEach(ThreadPoolExecutor::shutdownNow);
    for (Running r : live.values()) {
      r.cancelRequested = true;
    }
  }

  /** One job between submit and its end: its latest snapshot, its cancel flag, its work. */
  private final class Running implements Runnable, JobContext {
    volatile Job job;
    volatile boolean cancelRequested;
    private final Work work;
    private long lastWrite;
    private String lastStage = "";

    Running(Job job, Work work) {
      this.job = job;
      this.work = work;
    }

    @Override
    public JobId id() {
      return job.id();
    }

    @Override
    public void run() {
      if (cancelRequested || closed) {
        end(JobState.CANCELLED, null, new Failure(ErrorKind.CANCELLED, closed ? "the server stopped" : "cancelled"));
        return;
      }
      job = job.withState(JobState.RUNNING, clock.instant()).withProgress(new JobProgress("starting", 0, 0, -1),
          clock.instant());
      repository.update(job);
      lastWrite = System.nanoTime();
      watchers.publish(job);
      try {
        Object result = work.run(this);
        end(JobState.SUCCEEDED, result == null ? null : toJson(result), null);
      } catch (Throwable t) {
        if (closed) {
          end(JobState.FAILED, null, new Failure(ErrorKind.UNAVAILABLE, "the server stopped before the job finished; start it again"));
        } else if (cancelRequested) {
          end(JobState.CANCELLED, null, new Failure(ErrorKind.CANCELLED, "cancelled"));
        } else {
          Failure f = Failure.of(t);
          end(f.kind() == ErrorKind.CANCELLED ? JobState.CANCELLED : JobState.FAILED, null, f);
        }
      }
    }

    @Override
    public void progress(String stage, long done, long total) {
      if (cancelRequested) {
        throw new Cancelled("job " + job.id() + " was cancelled");
      }
      Instant now = clock.instant();
      JobProgress p = new JobProgress(stage, done, total, eta(job, stage, done, total, now));
      job = job.withProgress(p, now);
      long t = System.nanoTime();
      if (!stage.equals(lastStage) || t - lastWrite >= progressIntervalNanos) {
        lastStage = stage;
        lastWrite = t;
        repository.update(job);
      }
      watchers.publish(job);
    }

    @Override
    public boolean cancelled() {
      return cancelRequested;
    }

    void end(JobState state, String result, Failure failure) {
      Job ended = job.ended(state, result, failure, clock.instant());
      try {
        repository.update(ended); // stored first: whoever sees the ended job can read it back
      } catch (RuntimeException e) {
        // at shutdown the database may be gone first; the next start marks the job failed
        LOG.warnf("job %s ended %s but could not be stored: %s", ended.id(), state, e.getMessage());
      } finally {
        job = ended;
        live.remove(ended.id());
        watchers.publish(ended);
      }
    }
  }

  /** Seconds left at the rate of this stage so far (the stage's start is when its done count was 0). */
  private static double eta(Job job, String stage, long done, long total, Instant now) {
    JobProgress before = job.progress();
    if (total <= 0 || done <= 0 || !stage.equals(before.stage())) {
      return -1;
    }
    double elapsed = (now.toEpochMilli() - job.updatedAt().toEpochMilli()) / 1000.0;
    long step = done - before.done();
    if (step <= 0 || elapsed <= 0) {
      return before.etaSeconds();
    }
    double rate = step / elapsed;
    double eta = (total - done) / rate;
    return before.etaSeconds() < 0 ? eta : 0.8 * before.etaSeconds() + 0.2 * eta;
  }
}
