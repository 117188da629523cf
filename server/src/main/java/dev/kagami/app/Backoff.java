package dev.kagami.app;

import dev.kagami.embedding.CallBudget;
import dev.kagami.embedding.EmbedInput;
import dev.kagami.embedding.Embedder;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.Failure;
import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.error.KagamiException.Overloaded;
import dev.kagami.job.JobContext;
import java.util.List;

/**
 * How background jobs embed: through the serving path, with the same admission control as live Embed
 * calls. When the embedder refuses for overload (live traffic comes first), the job waits and retries
 * instead of failing; it stops waiting when cancelled.
 */
final class Backoff {

  static final int MAX_ATTEMPTS = 100;
  static final long MAX_WAIT_MILLIS = 2000;

  private Backoff() {}

  static List<float[]> embed(Embedder embedder, ModelRuntime rt, List<EmbedInput> inputs, JobContext ctx) {
    for (int attempt = 1; ; attempt++) {
      try {
        return embedder.embed(rt.name(), rt.version(), inputs, CallBudget.NONE).join().vectors();
      } catch (RuntimeException e) {
        Throwable cause = Failure.unwrap(e);
        if (!(cause instanceof Overloaded) || attempt >= MAX_ATTEMPTS) {
          throw cause instanceof RuntimeException re ? re : e;
        }
        if (ctx.cancelled()) {
          throw new Cancelled("job " + ctx.id() + " was cancelled");
        }
        try {
          Thread.sleep(Math.min(MAX_WAIT_MILLIS, 20L * attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new Cancelled("job " + ctx.id() + " was interrupted");
        }
      }
    }
  }
}
