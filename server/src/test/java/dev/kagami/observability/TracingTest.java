package dev.kagami.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Http;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** With traces on, every gRPC call and HTTP request leaves a server span named after its method or route. */
@QuarkusTest
@TestProfile(TracingProfile.class)
class TracingTest {

  @Inject
  InMemorySpanExporter spans;

  List<String> names() throws InterruptedException {
    for (int i = 0; i < 50; i++) {
      List<String> n = spans.getFinishedSpanItems().stream().map(SpanData::getName).toList();
      if (n.stream().anyMatch(s -> s.contains("Embed")) && n.stream().anyMatch(s -> s.contains("/api/v1/models"))
          && n.contains("kagami.encode")) {
        return n;
      }
      Thread.sleep(100);
    }
    return spans.getFinishedSpanItems().stream().map(SpanData::getName).toList();
  }

  @Test
  void calls_leave_server_spans() throws Exception {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    try {
      EmbeddingServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
          .embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("traced")).build());
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(Http.get("/api/v1/models").statusCode()).isEqualTo(200);
    List<String> names = names();
    assertThat(names).as("span names").anyMatch(s -> s.contains("kagami.v1.EmbeddingService/Embed"))
        .anyMatch(s -> s.equals("GET /api/v1/models"));
    SpanData embed = spans.getFinishedSpanItems().stream().filter(d -> d.getName().contains("EmbeddingService/Embed")).findFirst()
        .orElseThrow();
    for (String child : new String[] {"kagami.preprocess", "kagami.encode"}) {
      SpanData c = spans.getFinishedSpanItems().stream().filter(d -> d.getName().equals(child)
          && d.getTraceId().equals(embed.getTraceId())).findFirst().orElse(null);
      assertThat(c).as(child + " in the Embed call's trace; spans: " + names).isNotNull();
      assertThat(c.getParentSpanId()).isEqualTo(embed.getSpanId());
    }
    System.out.println("spans: " + names);
  }

  SpanData await(java.util.function.Predicate<SpanData> p) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      var found = spans.getFinishedSpanItems().stream().filter(p).findFirst();
      if (found.isPresent()) {
        return found.get();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no such span; spans: " + spans.getFinishedSpanItems().stream().map(SpanData::getName).toList());
  }

  @Test
  void a_search_has_an_index_span_and_each_engine_batch_links_the_calls_it_served() throws Exception {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    try {
      var search = dev.kagami.api.v1.SearchServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
      search.createCollection(dev.kagami.api.v1.CreateCollectionRequest.newBuilder().setName("traced").build());
      search.search(dev.kagami.api.v1.SearchRequest.newBuilder().setCollection("traced").setText("a traced query").setK(3).build());
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    SpanData call = await(d -> d.getName().contains("kagami.v1.SearchService/Search"));
    SpanData index = await(d -> d.getName().equals("kagami.index.search") && d.getTraceId().equals(call.getTraceId()));
    assertThat(index.getParentSpanId()).isEqualTo(call.getSpanId());
    assertThat(index.getAttributes().asMap().toString()).contains("kagami.collection=traced").contains("kagami.k=3");
    SpanData encode = await(d -> d.getName().equals("kagami.encode") && d.getTraceId().equals(call.getTraceId()));
    SpanData batch = await(d -> d.getName().equals("kagami.batch")
        && d.getLinks().stream().anyMatch(l -> l.getSpanContext().getSpanId().equals(encode.getSpanId())));
    assertThat(batch.getTraceId()).as("a batch is its own trace: it serves several calls").isNotEqualTo(call.getTraceId());
    assertThat(batch.getAttributes().asMap().toString()).contains("kagami.batcher=text");
  }
}
