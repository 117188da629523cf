package dev.kagami.app;

import dev.kagami.embedding.CallStats;
import dev.kagami.embedding.Embedder;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;

/**
 * Live operations figures of the serving path, as the console's overview shows them: per lane (text and
 * image Embed calls, searches by text or image included) calls per second over the last {@link #RATE_WINDOW_S}
 * seconds, latency p50/p99 over the last {@link #LATENCY_WINDOW_S} seconds, failures and refusals, and the
 * inputs waiting in preprocessing and in the active model's encoder queue.
 */
@ApplicationScoped
public class OperationsService {

  public static final int RATE_WINDOW_S = 10;
  public static final int LATENCY_WINDOW_S = 60;

  /** One lane's figures; latencies are null when no call ended in the window. */
  public record Lane(double callsPerSecond, Double latencyP50Ms, Double latencyP99Ms, long callsInLatencyWindow, long failed,
      long refused, int preprocessQueue, int encoderQueue) {}

  public record Operations(Instant at, int rateWindowSeconds, int latencyWindowSeconds, Lane text, Lane image,
      long refusedSinceStart) {}

  private final Embedder embedder;

  public OperationsService(Embedder embedder) {
    this.embedder = embedder;
  }

  public Operations now() {
    ModelRuntime active = null;
    try {
      active = embedder.active();
    } catch (KagamiException e) {
      // no model serves yet: queues read as empty
    }
    return new Operations(Instant.now(), RATE_WINDOW_S, LATENCY_WINDOW_S,
        lane(true, active == null ? 0 : active.textBatcher().waiting()),
        lane(false, active == null ? 0 : active.imageBatcher().waiting()), embedder.shedCalls());
  }

  private Lane lane(boolean text, int encoderQueue) {
    CallStats.Snapshot rate = embedder.recent(text, RATE_WINDOW_S);
    CallStats.Snapshot lat = embedder.recent(text, LATENCY_WINDOW_S);
    return new Lane(rate.callsPerSecond(), lat.p50Ms(), lat.p99Ms(), lat.calls(), lat.failed(), lat.refused(),
        embedder.preprocessing(text), encoderQueue);
  }
}
