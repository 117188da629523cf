package dev.kagami.api.grpc;

import dev.kagami.config.KagamiConfig;
import dev.kagami.error.KagamiException.Overloaded;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs long jobs (dataset imports, evaluations) one at a time, off the gRPC threads, with a bounded
 * queue: when it is full, new jobs are refused with {@link Overloaded}. One at a time because each job
 * already uses every core, and so that one model's embedding cache has one writer.
 */
@ApplicationScoped
public class JobExecutor {

  private final ThreadPoolExecutor pool;

  public JobExecutor(KagamiConfig config) {
    pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(config.evaluation().queuedJobs()), r -> {
      Thread t = new Thread(r, "kagami-job");
      t.setDaemon(true);
      return t;
    });
  }

  public void submit(Runnable job) {
    try {
      pool.execute(job);
    } catch (RejectedExecutionException e) {
      if (pool.isShutdown()) {
        throw new dev.kagami.error.KagamiException.ShuttingDown();
      }
      throw new Overloaded("too many imports and evaluations queued; retry later");
    }
  }

  @PreDestroy
  void close() {
    pool.shutdownNow();
  }
}
