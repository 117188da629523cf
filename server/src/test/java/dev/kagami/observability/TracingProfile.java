package dev.kagami.observability;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.test.junit.QuarkusTestProfile;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Map;

/** Traces on, exported to memory (no collector needed). */
public class TracingProfile implements QuarkusTestProfile {

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.datasource.jdbc.url", "jdbc:h2:mem:kagami-otel;DB_CLOSE_DELAY=-1");
  }

  /** The exporter the test reads. */
  public static class Exporter {
    @Produces
    @Singleton
    InMemorySpanExporter exporter() {
      return InMemorySpanExporter.create();
    }
  }
}
