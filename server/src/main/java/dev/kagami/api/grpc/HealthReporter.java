package dev.kagami.api.grpc;

import dev.kagami.embedding.ModelActivated;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * grpc.health.v1: NOT_SERVING from start-up until the active model is loaded and warmed up, then
 * SERVING (for the server as a whole, "", and for kagami.v1.EmbeddingService); NOT_SERVING again on
 * shutdown so that load balancers drain the pod.
 */
@ApplicationScoped
public class HealthReporter {

  static final String EMBEDDING_SERVICE = "kagami.v1.EmbeddingService";

  private final GrpcHealthStorage health;

  public HealthReporter(GrpcHealthStorage health) {
    this.health = health;
  }

  void notServingYet(@Observes @Priority(1) StartupEvent ev) {
    set(ServingStatus.NOT_SERVING);
  }

  void modelReady(@Observes ModelActivated ev) {
    set(ServingStatus.SERVING);
  }

  void stopping(@Observes ShutdownEvent ev) {
    set(ServingStatus.NOT_SERVING);
  }

  private void set(ServingStatus s) {
    health.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, s);
    health.setStatus(EMBEDDING_SERVICE, s);
  }
}
