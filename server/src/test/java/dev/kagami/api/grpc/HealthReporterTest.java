package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.embedding.ModelActivated;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import org.junit.jupiter.api.Test;

class HealthReporterTest {

  @Test
  void not_serving_until_a_model_is_active_and_again_on_shutdown() {
    GrpcHealthStorage storage = new GrpcHealthStorage();
    HealthReporter r = new HealthReporter(storage);
    r.notServingYet(null);
    assertThat(storage.getStatuses()).containsEntry("", ServingStatus.NOT_SERVING)
        .containsEntry("kagami.v1.EmbeddingService", ServingStatus.NOT_SERVING);
    r.modelReady(new ModelActivated("tiny-clip", "1"));
    assertThat(storage.getStatuses()).containsEntry("", ServingStatus.SERVING)
        .containsEntry("kagami.v1.EmbeddingService", ServingStatus.SERVING);
    r.stopping(null);
    assertThat(storage.getStatuses()).containsEntry("", ServingStatus.NOT_SERVING);
  }
}
