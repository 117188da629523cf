package dev.kagami.app;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.training.RunManager;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * A trainer as the worker of a Kubernetes Job: with {@code kagami.finetune.exit-when-idle} set on a training
 * process, the process exits with status 0 once it has had no queued or running run (here or in the
 * database) for that long, so the Job completes; the next Job (the CronJob's) takes what is queued later. A
 * run suspended by a stop stays RUNNING and keeps the next trainer from exiting before it has finished it.
 */
@ApplicationScoped
public class TrainerIdleExit {

  private static final Logger LOG = Logger.getLogger(TrainerIdleExit.class);

  private final BooleanSupplier hasWork;
  private final LongSupplier nanoClock;
  private final Runnable exit;
  private final Duration idle;
  private final Duration checkEvery;
  private final ScheduledExecutorService scheduler;
  private long idleSince = -1;
  private boolean exited;

  @Inject
  public TrainerIdleExit(RunManager runs, KagamiConfig config, ThreadPools pools) {
    this(runs::hasWork, System::nanoTime, () -> Quarkus.asyncExit(0),
        config.finetune().executeRuns() ? config.finetune().exitWhenIdle().orElse(null) : null,
        config.finetune().pollInterval(), pools);
  }

  TrainerIdleExit(BooleanSupplier hasWork, LongSupplier nanoClock, Runnable exit, Duration idle, Duration pollInterval,
      ThreadPools pools) {
    this.hasWork = hasWork;
    this.nanoClock = nanoClock;
    this.exit = exit;
    this.idle = idle;
    Duration every = pollInterval.isZero() ? Duration.ofSeconds(5) : pollInterval;
    this.checkEvery = idle != null && idle.dividedBy(2).compareTo(every) < 0 ? idle.dividedBy(2) : every;
    this.scheduler = idle != null && pools != null ? pools.scheduled("trainer-idle") : null;
  }

  void onStart(@Observes StartupEvent ev) {
    if (scheduler == null) {
      return;
    }
    LOG.infof("trainer: exits once it has had no fine-tuning run to do for %s (kagami.finetune.exit-when-idle)", idle);
    long ms = Math.max(1, checkEvery.toMillis());
    scheduler.scheduleWithFixedDelay(this::checkQuietly, ms, ms, TimeUnit.MILLISECONDS);
  }

  private void checkQuietly() {
    try {
      check();
    } catch (RuntimeException e) {
      LOG.warnf("trainer idle check failed: %s", e.getMessage()); // the database may be away: not idle, try again
      idleSince = -1;
    }
  }

  /** One look: returns true when this call decided to exit. */
  synchronized boolean check() {
    if (idle == null || exited) {
      return false;
    }
    long now = nanoClock.getAsLong();
    if (hasWork.getAsBoolean()) {
      idleSince = -1;
      return false;
    }
    if (idleSince < 0) {
      idleSince = now;
    }
    if (now - idleSince < idle.toNanos()) {
      return false;
    }
    exited = true;
    LOG.infof("trainer: no fine-tuning run for %s; exiting", idle);
    exit.run();
    return true;
  }

  @PreDestroy
  void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
