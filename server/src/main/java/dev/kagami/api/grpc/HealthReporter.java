package dev.kagami.api.grpc;

import dev.kagami.embedding.ModelActivated;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;

/**
 * grpc.health.v1, what a readiness probe asks:
 * <ul>
 *   <li>{@code kagami.v1.EmbeddingService}: SERVING once the active model is loaded and warmed up;
 *   <li>{@code kagami.v1.SearchService} and the server as a whole ({@code ""}): SERVING once the model is
 *       ready and the vector store has opened its collections (replayed their logs);
 *   <li>{@code kagami.v1.SearchService/<collection>}: NOT_SERVING for a collection that could not be opened
 *       (the others serve, so the server as a whole stays SERVING);
 * </ul>
 * and NOT_SERVING for all on shutdown so that load balancers drain the pod.
 */
@ApplicationScoped
public class HealthReporter {

  static final String EMBEDDING_SERVICE = "kagami.v1.EmbeddingService";
  static final String SEARCH_SERVICE = "kagami.v1.SearchService";

  private final GrpcHealthStorage health;
  private boolean modelReady;
  private boolean indexReady;
  private boolean stopping;

  public HealthReporter(GrpcHealthStorage health) {
    this.health = health;
  }

  synchronized void notServingYet(@Observes @Priority(1) StartupEvent ev) {
    update();
  }

  synchronized void modelReady(@Observes ModelActivated ev) {
    modelReady = true;
    update();
  }

  synchronized void indexOpened(@Observes dev.kagami.app.IndexResources.Opened ev) {
    indexReady = true;
    for (Map.Entry<String, String> e : ev.unavailable().entrySet()) {
      health.setStatus(SEARCH_SERVICE + "/" + e.getKey(), ServingStatus.NOT_SERVING);
    }
    update();
  }

  synchronized void stopping(@Observes ShutdownEvent ev) {
    stopping = true;
    update();
  }

  private void update() {
    ServingStatus model = !stopping && modelReady ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    ServingStatus all = model == ServingStatus.SERVING && indexReady ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    health.setStatus(EMBEDDING_SERVICE, model);
    health.setStatus(SEARCH_SERVICE, all);
    health.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, all);
  }
}
