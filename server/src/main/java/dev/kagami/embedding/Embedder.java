package dev.kagami.embedding;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.error.KagamiException.DeadlineExceeded;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.Overloaded;
import dev.kagami.error.KagamiException.ShuttingDown;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Embeds batches of texts and images, never on the caller's thread: preprocessing runs on bounded pools,
 * inference in the model's dynamic batchers. Texts and images have their own lanes (a text-only call is
 * tokenized on the text pool and encoded by the text batcher), so a cheap text never waits behind
 * expensive images.
 *
 * <p>Admission is by time as well as by count: a call is refused at once with {@link Overloaded} when the
 * time expected for it (decoding queue and encoder queue ahead of it and its own work, at their recent
 * speeds, calibrated against what admitted calls really took) is over its lane's budget
 * ({@code kagami.serving.image-queue-budget}, {@code text-queue-budget}) or past its deadline. An
 * admitted call whose deadline passes or whose caller cancels stops between stages and between inputs.
 */
@ApplicationScoped
public class Embedder {

  private final ModelRegistry registry;
  private final Lane images;
  private final Lane texts;
  private final int maxInputs;
  private final AtomicLong shed = new AtomicLong();
  private final AtomicLong admittedImages = new AtomicLong();

  /** One lane: its preprocessing pool, the inputs queued there, their recent preparation time, its budget. */
  private static final class Lane {
    final String name;
    final ThreadPoolExecutor pool;
    final int threads;
    final long budgetNanos;
    final AtomicInteger queuedInputs = new AtomicInteger();
    final CallStats stats = new CallStats();
    final ServiceTime serviceTime = new ServiceTime();
    final WaitCalibration calibration = new WaitCalibration();

    Lane(ThreadPools pools, String name, int threads, int capacity, long budgetNanos) {
      this.name = name;
      this.threads = threads;
      this.budgetNanos = budgetNanos;
      this.pool = pools.bounded("preprocess-" + name, threads, capacity);
    }

    long expectedWaitNanos(int extra) {
      return (long) ((queuedInputs.get() + extra) * serviceTime.nanosPerItem() / threads);
    }
  }

  private final java.time.Duration drainTimeout;

  private final io.opentelemetry.api.trace.Tracer tracer;

  public Embedder(ModelRegistry registry, KagamiConfig config, ThreadPools pools, io.opentelemetry.api.trace.Tracer tracer) {
    this.registry = registry;
    this.tracer = tracer;
    KagamiConfig.Serving s = config.serving();
    this.maxInputs = s.maxInputsPerRequest();
    this.drainTimeout = s.drainTimeout();
    int imageThreads = s.preprocessThreads().orElse(Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
    this.images = new Lane(pools, "image", imageThreads, s.preprocessQueueCapacity(), s.imageQueueBudget().toNanos());
    this.texts = new Lane(pools, "text", s.textThreads(), s.preprocessQueueCapacity(), s.textQueueBudget().toNanos());
  }

  /**
   * Embeds {@code inputs} with the model {@code name/version} (empty for the active model). The future
   * fails with a {@link dev.kagami.error.KagamiException}; cancelling it withdraws the inputs that have
   * not reached the engine.
   */
  public CompletableFuture<EmbedResult> embed(String name, String version, List<EmbedInput> inputs, CallBudget budget) {
    if (inputs.isEmpty()) {
      throw new InvalidInput("no inputs: give at least one text or image");
    }
    if (inputs.size() > maxInputs) {
      throw new InvalidInput(inputs.size() + " inputs, over the limit of " + maxInputs + " per request");
    }
    if (budget.expired()) {
      throw new DeadlineExceeded("deadline passed before the request was read");
    }
    ModelRuntime rt = registry.acquire(name, version); // held until the call ends
    int imageCount = (int) inputs.stream().filter(i -> i instanceof EmbedInput.Image).count();
    Lane lane = imageCount > 0 ? images : texts;
    long expected;
    try {
      expected = admit(rt, lane, inputs.size(), imageCount, budget);
    } catch (RuntimeException e) {
      rt.release();
      lane.stats.refused();
      throw e;
    }
    admittedImages.addAndGet(imageCount);
    long started = System.nanoTime();
    CompletableFuture<EmbedResult> result = new CompletableFuture<>();
    result.whenComplete((r, e) -> {
      rt.release(); // the runtime may close (after a swap) once its last call ends
      long took = System.nanoTime() - started;
      lane.stats.ended(took, e == null);
      if (e == null) {
        lane.calibration.add(expected, took);
      }
    });
    lane.queuedInputs.addAndGet(inputs.size());
    try {
      io.opentelemetry.context.Context caller = io.opentelemetry.context.Context.current();
      lane.pool.execute(new Drain.Task(() -> {
        try (io.opentelemetry.context.Scope s = caller.makeCurrent()) {
          prepareAndSubmit(rt, lane, inputs, budget, result);
        }
      }, result));
    } catch (RejectedExecutionException e) {
      lane.queuedInputs.addAndGet(-inputs.size());
      RuntimeException refusal = lane.pool.isShutdown() ? new ShuttingDown()
          : new Overloaded(lane.name + " preprocessing queue is full; retry with backoff");
      if (!(refusal instanceof ShuttingDown)) {
        shed.incrementAndGet();
      }
      result.completeExceptionally(refusal);
      throw refusal;
    }
    return result;
  }

  /** Attempts of {@link #embedPatiently} before an overload is passed on. */
  static final int PATIENT_ATTEMPTS = 200;

  /**
   * For background work (evaluations, re-indexing): embeds through the same admission control as live
   * calls, but when the lane is full (live traffic comes first) waits and retries instead of failing;
   * stops when {@code cancelled} says so. Blocks the calling thread.
   */
  public EmbedResult embedPatiently(String name, String version, List<EmbedInput> inputs,
      java.util.function.BooleanSupplier cancelled) {
    for (int attempt = 1; ; attempt++) {
      try {
        return embed(name, version, inputs, CallBudget.NONE).join();
      } catch (RuntimeException e) {
        Throwable cause = dev.kagami.error.Failure.unwrap(e);
        if (!(cause instanceof Overloaded) || attempt >= PATIENT_ATTEMPTS) {
          throw cause instanceof RuntimeException re ? re : e;
        }
        if (cancelled.getAsBoolean()) {
          throw new dev.kagami.error.KagamiException.Cancelled("cancelled while waiting for the embedder");
        }
        try {
          Thread.sleep(Math.min(2000, 10L * attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new dev.kagami.error.KagamiException.Cancelled("interrupted while waiting for the embedder");
        }
      }
    }
  }

  /**
   * Refuses the call at once when the time expected for it (the inputs queued and running ahead of it in
   * its lane and in the encoders it needs, plus its own work, at their recent speeds, scaled by the lane's
   * {@link WaitCalibration}) is over the lane's budget, or would end past its deadline; returns that
   * expected time. Of its own work, at most half the budget counts, so a call too large to fit in the
   * budget is still admitted when no more than half of it is queued ahead (on an idle server, always).
   */
  private long admit(ModelRuntime rt, Lane lane, int inputs, int imageCount, CallBudget budget) {
    long ahead = lane.expectedWaitNanos(0);
    long total = lane.expectedWaitNanos(inputs);
    if (imageCount > 0) {
      ahead += rt.imageBatcher().expectedWaitNanos(0);
      total += rt.imageBatcher().expectedWaitNanos(imageCount);
    }
    if (imageCount < inputs) {
      ahead += rt.textBatcher().expectedWaitNanos(0);
      total += rt.textBatcher().expectedWaitNanos(inputs - imageCount);
    }
    ahead = lane.calibration.calibrate(ahead);
    total = lane.calibration.calibrate(total);
    long counted = ahead + Math.min(total - ahead, lane.budgetNanos / 2);
    if (counted > lane.budgetNanos) {
      shed.incrementAndGet();
      throw new Overloaded("the " + lane.name + " queue is expected to take about " + TimeUnit.NANOSECONDS.toMillis(counted)
          + " ms for this call, longer than the queue budget (" + TimeUnit.NANOSECONDS.toMillis(lane.budgetNanos)
          + " ms); retry with backoff");
    }
    if (total > budget.remainingNanos()) {
      shed.incrementAndGet();
      throw new Overloaded("the " + lane.name + " queue is expected to take about " + TimeUnit.NANOSECONDS.toMillis(total)
          + " ms for this call, longer than its deadline allows (" + TimeUnit.NANOSECONDS.toMillis(budget.remainingNanos())
          + " ms); retry with backoff");
    }
    return total;
  }

  private void prepareAndSubmit(ModelRuntime rt, Lane lane, List<EmbedInput> inputs, CallBudget budget,
      CompletableFuture<EmbedResult> result) {
    int[] left = {inputs.size()};
    // child spans of the caller's: decoding and tokenizing here, then the wait for a batch and the encoder
    io.opentelemetry.api.trace.Span prep = tracer.spanBuilder("kagami.preprocess").setAttribute("kagami.lane", lane.name)
        .setAttribute("kagami.inputs", inputs.size()).startSpan();
    try {
      long t0 = System.nanoTime();
      ModelRuntime.Prepared p = rt.prepare(inputs, () -> {
        stopIfUnwanted(result, budget);
        lane.queuedInputs.decrementAndGet();
        left[0]--;
      });
      lane.serviceTime.add(System.nanoTime() - t0, inputs.size());
      stopIfUnwanted(result, budget);
      prep.end();
      io.opentelemetry.api.trace.Span encode = tracer.spanBuilder("kagami.encode").setAttribute("kagami.model",
          rt.name() + "/" + rt.version()).startSpan();
      CompletableFuture<EmbedResult> inner;
      try (io.opentelemetry.context.Scope s = encode.makeCurrent()) {
        inner = rt.submit(p, budget); // the batches its inputs join link to this span
      }
      inner.whenComplete((r, e) -> encode.end());
      result.whenComplete((r, e) -> {
        if (result.isCancelled()) {
          inner.cancel(false);
        }
      });
      inner.whenComplete((r, e) -> {
        if (e != null) {
          result.completeExceptionally(e);
        } else {
          result.complete(r);
        }
      });
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    } finally {
      prep.end(); // a second end is ignored
      lane.queuedInputs.addAndGet(-left[0]);
    }
  }

  /** Throws when the caller went away or the deadline passed: the rest of the call's work is not done. */
  private static void stopIfUnwanted(CompletableFuture<EmbedResult> result, CallBudget budget) {
    if (result.isDone()) {
      throw new Cancelled("the caller cancelled the call");
    }
    if (budget.expired()) {
      throw new DeadlineExceeded("deadline passed while preprocessing");
    }
  }

  /** Images admitted so far (live calls and background work alike). */
  public long admittedImages() {
    return admittedImages.get();
  }

  /** Calls refused by admission control (queue budget, deadline, full queue) since start. */
  public long shedCalls() {
    return shed.get();
  }

  /** The factor by which the text lane's ({@code text = true}) or the image lane's expected times are scaled. */
  public double calibration(boolean text) {
    return (text ? texts : images).calibration.factor();
  }

  /** Recent calls of the text lane ({@code text = true}) or the image lane. */
  public CallStats.Snapshot recent(boolean text, int windowSeconds) {
    return (text ? texts : images).stats.snapshot(windowSeconds);
  }

  /** Inputs waiting in the text lane's or the image lane's preprocessing (queued or being prepared). */
  public int preprocessing(boolean text) {
    return Math.max(0, (text ? texts : images).queuedInputs.get());
  }

  /** The active model's runtime (name, version, dimension, batch statistics). */
  public ModelRuntime active() {
    return registry.active();
  }

  /**
   * On shutdown: the lanes take no new call; calls already admitted finish their preprocessing within
   * {@code kagami.serving.drain-timeout} (the model's batchers then finish what reached them); a call still
   * queued after that is answered UNAVAILABLE (shutting down), never dropped without an answer.
   */
  @PreDestroy
  void close() {
    int refused = Drain.drain(List.of(images.pool, texts.pool), drainTimeout);
    if (refused > 0) {
      org.jboss.logging.Logger.getLogger(Embedder.class).warnf("shutdown: %d queued calls answered UNAVAILABLE after the "
          + "drain timeout (%s)", refused, drainTimeout);
    }
  }
}
