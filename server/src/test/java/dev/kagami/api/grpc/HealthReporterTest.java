package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.embedding.ModelActivated;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import org.junit.jupiter.api.Test;

class HealthReporterTest {

  @Test
  void serving_once_the_model_and_the_store_are_ready_and_not_again_on_shutdown() {
    GrpcHealthStorage storage = new GrpcHealthStorage();
    HealthReporter r = new HealthReporter(storage);
    r.notServingYet(null);
    assertThat(storage.getStatuses()).containsEntry("", ServingStatus.NOT_SERVING)
        .containsEntry("kagami.v1.EmbeddingService", ServingStatus.NOT_SERVING);
    r.modelReady(new ModelActivated("tiny-clip", "1"));
    // the model serves embeddings, but search (and so the server) waits for the store to open its collections
    assertThat(storage.getStatuses()).containsEntry("", ServingStatus.NOT_SERVING)
        .containsEntry("kagami.v1.SearchService", ServingStatus.NOT_SERVING)
        .containsEntry("kagami.v1.EmbeddingService", ServingStatus.SERVING);
    r.indexOpened(new dev.kagami.app.IndexResources.Opened(java.util.Map.of("broken", "corrupt log")));
    assertThat(storage.getStatuses()).containsEntry("", ServingStatus.SERVING)
        .containsEntry("kagami.v1.SearchService", ServingStatus.SERVING)
        .containsEntry("kagami.v1.SearchService/broken", ServingStatus.NOT_SERVING)
        .containsEntry("kagami.v1.EmbeddingService", ServingStatus.SERVING);
    r.stopping(null);
    assertThat(storage.getStatuses()).containsEntry("", ServingStatus.NOT_SERVING)
        .containsEntry("kagami.v1.SearchService", ServingStatus.NOT_SERVING)
        .containsEntry("kagami.v1.EmbeddingService", ServingStatus.NOT_SERVING);
  }
}
