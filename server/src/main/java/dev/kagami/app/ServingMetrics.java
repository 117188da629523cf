package dev.kagami.app;

import dev.kagami.embedding.Embedder;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException;
import dev.kagami.job.JobState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.function.ToDoubleFunction;

/**
 * Kagami's own figures for Prometheus (at /q/metrics, beside the gRPC and HTTP server metrics and the JVM's
 * that Quarkus binds): the encoder queues of the active model (what the autoscaler reads), the preprocessing
 * queues, batches and items run, deadline drops, refusals, the generation each alias serves, jobs by state,
 * and every thread pool (active, queued, threads, completed). Read at scrape time, nothing is kept twice.
 */
@ApplicationScoped
public class ServingMetrics {

  /** The metric the k8s autoscaler scales on (as Prometheus names it: kagami_encoder_queue_depth). */
  public static final String ENCODER_QUEUE = "kagami.encoder.queue.depth";

  private final Embedder embedder;
  private final AliasFollower aliases;
  private final JobService jobs;
  private final dev.kagami.concurrent.ThreadPools pools;

  public ServingMetrics(Embedder embedder, AliasFollower aliases, JobService jobs, dev.kagami.concurrent.ThreadPools pools) {
    this.embedder = embedder;
    this.aliases = aliases;
    this.jobs = jobs;
    this.pools = pools;
  }

  void bind(@Observes StartupEvent ev, MeterRegistry registry) {
    for (String tower : new String[] {"text", "image"}) {
      boolean text = tower.equals("text");
      Gauge.builder(ENCODER_QUEUE, this, m -> m.active(r -> (text ? r.textBatcher() : r.imageBatcher()).waiting()))
          .tag("tower", tower).description("inputs waiting for the active model's encoder").register(registry);
      Gauge.builder("kagami.preprocess.queue.depth", embedder, e -> e.preprocessing(text)).tag("lane", tower)
          .description("inputs queued or being prepared in the lane").register(registry);
      Gauge.builder("kagami.admission.calibration", embedder, e -> e.calibration(text)).tag("lane", tower)
          .description("factor by which admission scales the lane's expected call time (p95 of real over expected)")
          .register(registry);
      FunctionCounter.builder("kagami.encoder.batches", this, m -> m.active(r -> (text ? r.textBatcher() : r.imageBatcher()).batches()))
          .tag("tower", tower).description("batches the active model's encoder ran").register(registry);
      FunctionCounter.builder("kagami.encoder.items", this, m -> m.active(r -> (text ? r.textBatcher() : r.imageBatcher()).itemsRun()))
          .tag("tower", tower).description("inputs the active model's encoder embedded").register(registry);
      FunctionCounter.builder("kagami.encoder.deadline.drops", this,
          m -> m.active(r -> (text ? r.textBatcher() : r.imageBatcher()).expiredDropped()))
          .tag("tower", tower).description("inputs dropped in the queue because their deadline passed").register(registry);
    }
    FunctionCounter.builder("kagami.calls.refused", embedder, Embedder::shedCalls)
        .description("calls refused by admission control (queue budget, deadline, full queue)").register(registry);
    Gauge.builder("kagami.alias.generation", aliases, a -> generation(a, "production")).tag("alias", "production")
        .description("the generation of the production alias this replica serves").register(registry);
    // every pool of the one factory, those made later (per model, per collection) as they are made
    pools.watch(m -> {
      Gauge.builder("kagami.executor.active", m.pool(), java.util.concurrent.ThreadPoolExecutor::getActiveCount)
          .tag("pool", m.name()).description("threads running a task").register(registry);
      Gauge.builder("kagami.executor.queued", m.pool(), p -> p.getQueue().size()).tag("pool", m.name())
          .description("tasks waiting for a thread").register(registry);
      Gauge.builder("kagami.executor.threads", m.pool(), java.util.concurrent.ThreadPoolExecutor::getPoolSize)
          .tag("pool", m.name()).description("threads of the pool").register(registry);
      FunctionCounter.builder("kagami.executor.completed", m.pool(), java.util.concurrent.ThreadPoolExecutor::getCompletedTaskCount)
          .tag("pool", m.name()).description("tasks the pool ran").register(registry);
    });
    for (JobState s : new JobState[] {JobState.QUEUED, JobState.RUNNING}) {
      Gauge.builder("kagami.jobs", jobs, j -> count(j, s)).tag("state", s.name().toLowerCase(java.util.Locale.ROOT))
          .description("jobs in this state").register(registry);
    }
  }

  private double active(ToDoubleFunction<ModelRuntime> f) {
    try {
      return f.applyAsDouble(embedder.active());
    } catch (KagamiException e) {
      return 0; // no model serves yet
    }
  }

  private static double generation(AliasFollower a, String alias) {
    String v = a.serving().get(alias);
    if (v == null || !v.contains("@")) {
      return Double.NaN;
    }
    return Double.parseDouble(v.substring(v.lastIndexOf('@') + 1));
  }

  /** Jobs in state {@code s}, every kind (one query; at most {@link JobService#MAX_LIST_LIMIT}). */
  private static double count(JobService j, JobState s) {
    return j.list(null, s, JobService.MAX_LIST_LIMIT).size();
  }
}
