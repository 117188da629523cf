package dev.kagami.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Http;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /q/metrics in Prometheus' format: gRPC and HTTP server metrics per method and route, JVM, Kagami's gauges. */
@QuarkusTest
class PrometheusMetricsTest {

  static double value(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+|NaN)$").matcher(metrics);
    assertThat(m.find()).as(series + " in\n" + metrics.lines().filter(l -> l.startsWith("kagami") || l.startsWith("grpc_server"))
        .limit(60).reduce("", (a, b) -> a + b + "\n")).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void calls_show_up_per_method_and_route_beside_kagamis_own_gauges() throws Exception {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    try {
      var stub = EmbeddingServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
      for (int i = 0; i < 3; i++) {
        stub.embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("metrics " + i)).build());
      }
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(Http.get("/api/v1/models").statusCode()).isEqualTo(200);
    String metrics = Http.get("/q/metrics").body();
    assertThat(metrics).contains("grpc_server_processing_duration_seconds_count{method=\"Embed\"")
        .contains("http_server_requests_seconds_count{method=\"GET\"").contains("uri=\"/api/v1/models\"")
        .contains("jvm_memory_used_bytes");
    assertThat(value(metrics, "kagami_encoder_queue_depth{tower=\"text\"}")).isGreaterThanOrEqualTo(0);
    assertThat(value(metrics, "kagami_encoder_items_total{tower=\"text\"}")).isGreaterThanOrEqualTo(3);
    assertThat(value(metrics, "kagami_calls_refused_total")).isGreaterThanOrEqualTo(0);
    assertThat(value(metrics, "kagami_alias_generation{alias=\"production\"}")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "kagami_jobs{state=\"running\"}")).isGreaterThanOrEqualTo(0);
    assertThat(value(metrics, "kagami_executor_threads{pool=\"compute\"}")).isGreaterThanOrEqualTo(0);
    assertThat(value(metrics, "kagami_executor_completed_total{pool=\"preprocess-text\"}")).isGreaterThanOrEqualTo(3);
    assertThat(metrics).contains("kagami_executor_queued{pool=\"preprocess-image\"}").contains("kagami_executor_completed_total{pool=");
    assertThat(metrics).as("latency histograms for percentiles across replicas")
        .contains("grpc_server_processing_duration_seconds_bucket{").contains("http_server_requests_seconds_bucket{");
  }

  /** Every series the Grafana dashboard (k8s/overlays/scale/grafana-dashboard.json) queries is exported. */
  @Test
  void every_series_the_dashboard_queries_is_exported() throws Exception {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    try {
      EmbeddingServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
          .embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("dashboard")).build());
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(Http.get("/api/v1/models").statusCode()).isEqualTo(200);
    String metrics = Http.get("/q/metrics").body();
    var dashboard = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(java.nio.file.Path.of("../k8s/overlays/scale/grafana-dashboard.json").toFile());
    java.util.Set<String> queried = new java.util.TreeSet<>();
    java.util.Set<String> promql = java.util.Set.of("sum", "rate", "max", "avg", "histogram_quantile", "irate", "increase",
        "min", "count");
    Pattern name = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    for (var panel : dashboard.get("panels")) {
      for (var target : panel.get("targets")) {
        // drop label matchers, label lists and range selectors; what is left are functions and metric names
        String expr = target.get("expr").asText().replaceAll("\\{[^}]*}", " ").replaceAll("\\b(by|without) *\\([^)]*\\)", " ")
            .replaceAll("\\[[^]]*]", " ");
        Matcher m = name.matcher(expr);
        while (m.find()) {
          if (!promql.contains(m.group())) {
            queried.add(m.group());
          }
        }
      }
    }
    assertThat(queried).hasSizeGreaterThanOrEqualTo(10);
    for (String series : queried) {
      assertThat(metrics).as("the dashboard queries " + series).containsPattern("(?m)^" + Pattern.quote(series) + "[{ ]");
    }
  }
}
