package dev.kagami.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.error.ErrorKind;
import dev.kagami.error.KagamiException;
import dev.kagami.job.Job;
import dev.kagami.job.JobKind;
import dev.kagami.job.JobState;
import dev.kagami.persistence.JobRepository;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The job service on a real (in-memory H2) database: states, cancellation, bounded queues, watchers, restarts. */
class JobServiceTest {

  static final KagamiConfig.Jobs ONE_WORKER_ONE_QUEUED = new KagamiConfig.Jobs() {
    public int importWorkers() { return 1; }
    public int evaluationWorkers() { return 1; }
    public int reindexWorkers() { return 1; }
    public int queueCapacity() { return 1; }
    public Duration progressInterval() { return Duration.ofMillis(10); }
  };

  JdbcDataSource ds;
  JobRepository repo;
  JobService jobs;

  @BeforeEach
  void setUp() {
    ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:jobs-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    ds.setUser("sa");
    Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
    repo = new JobRepository(ds);
    jobs = new JobService(repo, ONE_WORKER_ONE_QUEUED, new ThreadPools(), Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    jobs.close();
  }

  static Job await(JobService jobs, Job j) throws InterruptedException {
    for (int i = 0; i < 1000; i++) {
      Job now = jobs.get(j.id());
      if (now.state().ended()) {
        return now;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("job did not end");
  }

  record Result(int answer) {}

  @Test
  void a_job_runs_reports_progress_and_keeps_its_request_and_result() throws Exception {
    Job j = jobs.submit(JobKind.EVALUATION, java.util.Map.of("dataset", "d"), ctx -> {
      for (int i = 1; i <= 5; i++) {
        ctx.progress("working", i, 5);
      }
      return new Result(42);
    });
    Job done = await(jobs, j);
    assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(done.result()).isEqualTo("{\"answer\":42}");
    Job stored = repo.find(j.id()).orElseThrow();
    assertThat(stored.request()).isEqualTo("{\"dataset\":\"d\"}");
    assertThat(stored.progress().done()).isEqualTo(5);
    assertThat(jobs.list(JobKind.EVALUATION, JobState.SUCCEEDED, 0)).extracting(Job::id).containsExactly(j.id());
  }

  @Test
  void a_failure_keeps_its_kind_and_message_and_an_unexpected_one_becomes_internal() throws Exception {
    Job bad = await(jobs, jobs.submit(JobKind.IMPORT_DATASET, "x", ctx -> {
      throw new KagamiException.InvalidInput("no usable images");
    }));
    assertThat(bad.state()).isEqualTo(JobState.FAILED);
    assertThat(bad.failure().kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
    assertThat(bad.failure().message()).isEqualTo("no usable images");
    Job bug = await(jobs, jobs.submit(JobKind.IMPORT_DATASET, "x", ctx -> {
      throw new IllegalStateException("secret detail");
    }));
    assertThat(bug.failure().kind()).isEqualTo(ErrorKind.INTERNAL);
    assertThat(bug.failure().message()).startsWith("internal error; request id ").doesNotContain("secret");
  }

  @Test
  void running_and_queued_jobs_cancel_and_a_full_queue_refuses_without_recording() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Job running = jobs.submit(JobKind.REINDEX, "a", ctx -> {
      started.countDown();
      while (true) {
        ctx.progress("spinning", 0, 0);
        Thread.sleep(5);
      }
    });
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    Job queued = jobs.submit(JobKind.REINDEX, "b", ctx -> null);
    int before = jobs.list(null, null, 0).size();
    assertThatThrownBy(() -> jobs.submit(JobKind.REINDEX, "c", ctx -> null)).isInstanceOf(KagamiException.Overloaded.class);
    assertThat(jobs.list(null, null, 0)).hasSize(before);
    // another kind has its own pool
    assertThat(await(jobs, jobs.submit(JobKind.EVALUATION, "d", ctx -> null)).state()).isEqualTo(JobState.SUCCEEDED);

    assertThat(jobs.cancel(queued.id()).state()).isEqualTo(JobState.CANCELLED);
    jobs.cancel(running.id());
    Job r = await(jobs, running);
    assertThat(r.state()).isEqualTo(JobState.CANCELLED);
    assertThat(r.failure().kind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(repo.find(queued.id()).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void watchers_see_every_snapshot_in_order_and_one_that_throws_is_removed() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    Job j = jobs.submit(JobKind.EVALUATION, "w", ctx -> {
      go.await();
      for (int i = 1; i <= 20; i++) {
        ctx.progress("step", i, 20);
      }
      return null;
    });
    List<Job> seen = new CopyOnWriteArrayList<>();
    AtomicInteger failing = new AtomicInteger();
    jobs.watch(j.id(), seen::add);
    jobs.watch(j.id(), x -> {
      failing.incrementAndGet();
      throw new IllegalStateException("client went away");
    });
    go.countDown();
    await(jobs, j);
    for (int i = 0; i < 100 && (seen.isEmpty() || !seen.get(seen.size() - 1).state().ended()); i++) {
      Thread.sleep(10);
    }
    assertThat(seen.get(seen.size() - 1).state()).isEqualTo(JobState.SUCCEEDED);
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i).progress().done()).isGreaterThanOrEqualTo(seen.get(i - 1).progress().done());
    }
    assertThat(failing.get()).as("called once, then removed").isEqualTo(1);
    // watching an ended job gives its last snapshot and ends
    List<Job> late = new CopyOnWriteArrayList<>();
    jobs.watch(j.id(), late::add);
    assertThat(late).singleElement().extracting(Job::state).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void jobs_left_running_by_a_stopped_server_are_marked_failed_at_the_next_start() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Job j = jobs.submit(JobKind.IMPORT_DATASET, "r", ctx -> {
      started.countDown();
      Thread.sleep(60_000);
      return null;
    });
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    // a crash: the process is gone, its row still says RUNNING
    assertThat(repo.find(j.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    JobService next = new JobService(repo, ONE_WORKER_ONE_QUEUED, new ThreadPools(), Clock.systemUTC());
    next.onStart(null);
    Job after = next.get(j.id());
    assertThat(after.state()).isEqualTo(JobState.FAILED);
    assertThat(after.failure().kind()).isEqualTo(ErrorKind.UNAVAILABLE);
    assertThat(after.failure().message()).contains("server stopped");
    next.close();
  }

  @Test
  void a_database_that_cannot_be_reached_is_unavailable_not_internal() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort(); // closed again: nothing listens there
    }
    org.postgresql.ds.PGSimpleDataSource gone = new org.postgresql.ds.PGSimpleDataSource();
    gone.setUrl("jdbc:postgresql://127.0.0.1:" + port + "/kagami?connectTimeout=2");
    JobService offline = new JobService(new JobRepository(gone), ONE_WORKER_ONE_QUEUED, new ThreadPools(), Clock.systemUTC());
    try {
      assertThatThrownBy(() -> offline.list(null, null, 0)).isInstanceOf(KagamiException.BackendUnavailable.class)
          .hasMessageContaining("the database is unavailable");
      Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> offline.submit(JobKind.EVALUATION, "x", ctx -> null));
      assertThat(ErrorKind.of((KagamiException) t)).isEqualTo(ErrorKind.UNAVAILABLE);
    } finally {
      offline.close();
    }
  }
}
