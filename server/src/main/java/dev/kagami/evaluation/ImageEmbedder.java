package dev.kagami.evaluation;

import dev.kagami.embedding.CallBudget;
import dev.kagami.embedding.EmbedInput;
import dev.kagami.embedding.EmbedResult;
import dev.kagami.embedding.ModelRuntime;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * How an evaluation embeds its images. The server passes one that goes through the serving path's admission
 * control (so an evaluation and live Embed traffic share one limit); tools and tests use {@link #direct}.
 */
@FunctionalInterface
public interface ImageEmbedder {

  /** Unit vectors of {@code images}, in order. */
  CompletableFuture<EmbedResult> embed(List<EmbedInput> images);

  /** Straight to the model: preprocessing on {@code executor}, then the model's batcher, no admission control. */
  static ImageEmbedder direct(ModelRuntime model, Executor executor) {
    return images -> CompletableFuture.supplyAsync(() -> model.prepare(images), executor)
        .thenCompose(p -> model.submit(p, CallBudget.NONE));
  }
}
