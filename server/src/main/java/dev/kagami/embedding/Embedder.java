package dev.kagami.embedding;

import dev.kagami.config.KagamiConfig;
import dev.kagami.error.KagamiException.DeadlineExceeded;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.Overloaded;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Embeds batches of texts and images, never on the caller's thread: preprocessing runs on a bounded pool,
 * inference in the model's dynamic batchers. Every stage is bounded and refuses with {@link Overloaded}
 * when full; every stage drops work whose deadline passed or whose caller cancelled.
 */
@ApplicationScoped
public class Embedder {

  private final ModelRegistry registry;
  private final ThreadPoolExecutor preprocess;
  private final int maxInputs;

  public Embedder(ModelRegistry registry, KagamiConfig config) {
    this.registry = registry;
    KagamiConfig.Serving s = config.serving();
    this.maxInputs = s.maxInputsPerRequest();
    AtomicInteger n = new AtomicInteger();
    this.preprocess = new ThreadPoolExecutor(s.preprocessThreads(), s.preprocessThreads(), 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(s.preprocessQueueCapacity()), r -> {
          Thread t = new Thread(r, "kagami-preprocess-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
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
    ModelRuntime rt = registry.resolve(name, version);
    CompletableFuture<EmbedResult> result = new CompletableFuture<>();
    try {
      preprocess.execute(() -> {
        if (result.isDone()) {
          return; // cancelled while waiting
        }
        try {
          if (budget.expired()) {
            throw new DeadlineExceeded("deadline passed while waiting for preprocessing");
          }
          CompletableFuture<EmbedResult> inner = rt.submit(rt.prepare(inputs), budget);
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
        }
      });
    } catch (RejectedExecutionException e) {
      throw new Overloaded("preprocessing queue is full; retry with backoff");
    }
    return result;
  }

  /** The active model's runtime (name, version, dimension, batch statistics). */
  public ModelRuntime active() {
    return registry.active();
  }

  @PreDestroy
  void close() {
    preprocess.shutdownNow();
  }
}
