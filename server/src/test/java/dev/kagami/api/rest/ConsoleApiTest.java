package dev.kagami.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Http;
import dev.kagami.testing.PatternDataset;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The routes the console needs beyond the registry's: live operations, search side by side over a dataset
 * split, the run estimate and the PoC report's refusals, over real HTTP on the tiny model.
 */
@QuarkusTest
class ConsoleApiTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String DATASET = "console-api";
  static ManagedChannel channel;

  @BeforeAll
  static void setUp() throws Exception {
    channel = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    PatternDataset.importInto(channel, DATASET);
  }

  @AfterAll
  static void tearDown() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  static HttpResponse<String> sideBySide(String body) {
    return Http.postJson("/api/v1/search/side-by-side", body);
  }

  @Test
  void operations_show_the_calls_just_made() throws Exception {
    var stub = EmbeddingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    long before = json(Http.get("/api/v1/operations")).at("/text/callsInLatencyWindow").asLong();
    for (int i = 0; i < 5; i++) {
      stub.embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("a photo " + i)).build());
    }
    JsonNode ops = json(Http.get("/api/v1/operations"));
    assertThat(ops.at("/text/callsInLatencyWindow").asLong()).as(ops.toString()).isGreaterThanOrEqualTo(before + 5);
    assertThat(ops.at("/text/callsPerSecond").asDouble()).isPositive();
    assertThat(ops.at("/text/latencyP50Ms").asDouble()).isPositive();
    assertThat(ops.at("/text/latencyP99Ms").asDouble()).isGreaterThanOrEqualTo(ops.at("/text/latencyP50Ms").asDouble());
    assertThat(ops.at("/rateWindowSeconds").asInt()).isEqualTo(10);
    assertThat(ops.has("image")).isTrue();
  }

  @Test
  void an_item_query_ranks_the_split_by_both_versions_without_itself() throws Exception {
    JsonNode items = json(Http.get("/api/v1/datasets/" + DATASET + "?limit=200")).at("/items/items");
    String query = null;
    for (JsonNode it : items) {
      if (it.get("split").asText().equals("TEST") && it.get("label").asText().equals("vertical")) {
        query = it.get("id").asText();
      }
    }
    assertThat(query).isNotNull();
    HttpResponse<String> r = sideBySide("{\"dataset\":\"" + DATASET + "\",\"models\":[\"tiny-clip/1\",\"tiny-clip/1\"],"
        + "\"itemId\":\"" + query + "\",\"k\":5}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode res = json(r);
    assertThat(res.get("queryClass").asText()).isEqualTo("vertical");
    assertThat(res.get("split").asText()).isEqualTo("test");
    assertThat(res.get("galleryImages").asInt()).isEqualTo(16);
    JsonNode left = res.at("/sides/0");
    JsonNode right = res.at("/sides/1");
    assertThat(left.get("hits")).hasSize(5);
    assertThat(left.get("hits").toString()).isEqualTo(right.get("hits").toString());
    int relevant = 0;
    Set<String> ids = new HashSet<>();
    for (JsonNode h : left.get("hits")) {
      ids.add(h.get("id").asText());
      assertThat(h.get("relevant").asBoolean()).isEqualTo(h.get("label").asText().equals("vertical"));
      relevant += h.get("relevant").asBoolean() ? 1 : 0;
    }
    assertThat(ids).doesNotContain(query).hasSize(5);
    assertThat(left.get("precisionAtK").asDouble()).isEqualTo(relevant / 5.0);
    HttpResponse<byte[]> thumb = Http.getBytes(left.at("/hits/0/image").asText());
    assertThat(thumb.statusCode()).isEqualTo(200);
    assertThat(thumb.body()[1]).isEqualTo((byte) 'P');
  }

  @Test
  void a_text_or_image_query_is_judged_only_by_a_class_given() throws Exception {
    JsonNode withClass = json(sideBySide("{\"dataset\":\"" + DATASET + "\",\"models\":[\"tiny-clip/1\",\"tiny-clip/1\"],"
        + "\"text\":\"vertical stripes\",\"queryClass\":\"vertical\"}"));
    assertThat(withClass.get("k").asInt()).isEqualTo(12);
    assertThat(withClass.at("/sides/0/precisionAtK").isNumber()).isTrue();
    String image = Base64.getEncoder().encodeToString(dev.kagami.testing.Images.png(dev.kagami.finetune.ImageTunerTest.pattern(1,
        new java.util.SplittableRandom(1))));
    JsonNode noClass = json(sideBySide("{\"dataset\":\"" + DATASET + "\",\"models\":[\"tiny-clip/1\",\"tiny-clip/1\"],"
        + "\"image\":\"" + image + "\",\"k\":3}"));
    assertThat(noClass.at("/sides/0/hits")).hasSize(3);
    assertThat(noClass.at("/sides/0/precisionAtK").isNull()).isTrue();
  }

  @Test
  void bad_side_by_side_requests_are_refused_with_the_reason() throws Exception {
    String d = "\"dataset\":\"" + DATASET + "\",";
    String two = "\"models\":[\"tiny-clip/1\",\"tiny-clip/1\"],";
    Object[][] cases = {
        {"{" + d + "\"text\":\"x\"}", 400, "exactly two model versions"},
        {"{" + d + two + "\"text\":\"x\",\"itemId\":\"a\"}", 400, "exactly one query"},
        {"{" + d + two + "\"k\":3}", 400, "exactly one query"},
        {"{" + d + two + "\"text\":\"x\",\"k\":101}", 400, "k must be between 1 and 100"},
        {"{" + d + two + "\"text\":\"x\",\"queryClass\":\"zebra\"}", 400, "no class 'zebra'"},
        {"{" + d + two + "\"image\":\"%%%\"}", 400, "base64"},
        {"{" + d + two + "\"itemId\":\"nope\"}", 404, "no item 'nope'"},
        {"{\"dataset\":\"nope\"," + two + "\"text\":\"x\"}", 404, "no dataset named 'nope'"},
        {"{" + d + "\"models\":[\"tiny-clip/1\",\"tiny-clip/77\"],\"text\":\"x\"}", 404, "tiny-clip/77"},
        {"{" + d + two + "\"text\":\"x\",\"split\":\"sideways\"}", 400, "split must be"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> r = sideBySide((String) c[0]);
      assertThat(r.statusCode()).as(c[0] + " -> " + r.body()).isEqualTo((int) c[1]);
      assertThat(json(r).get("message").asText()).as((String) c[0]).contains((String) c[2]);
    }
  }

  @Test
  void the_estimate_counts_the_steps_and_waits_for_a_measured_run() throws Exception {
    JsonNode e = json(Http.postJson("/api/v1/runs/estimate", "{\"dataset\":\"" + DATASET + "\",\"epochs\":2,\"batchSize\":8,"
        + "\"method\":\"TWO_SFT\",\"realignEpochs\":1}"));
    assertThat(e.get("trainImages").asInt()).as(e.toString()).isEqualTo(32);
    assertThat(e.get("steps").asLong()).isEqualTo(4 * (2 + 1));
    if (e.get("seconds").isNull()) {
      assertThat(e.get("basis").isNull()).isTrue();
    } else {
      assertThat(e.get("seconds").asDouble()).isPositive();
      assertThat(e.get("basis").asText()).isNotEmpty();
    }
    assertThat(Http.postJson("/api/v1/runs/estimate", "{}").statusCode()).isEqualTo(400);
    assertThat(Http.postJson("/api/v1/runs/estimate", "{\"dataset\":\"nope\"}").statusCode()).isEqualTo(404);
    assertThat(Http.postJson("/api/v1/runs/estimate", "{\"dataset\":\"" + DATASET + "\",\"epochs\":5000}").statusCode())
        .isEqualTo(400);
  }

  @Test
  void the_poc_report_of_an_unknown_run_and_an_unknown_language_are_refused() throws Exception {
    HttpResponse<String> unknown = Http.get("/api/v1/poc/no-such-run");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("code").asText()).isEqualTo("NOT_FOUND");
    HttpResponse<String> lang = Http.get("/api/v1/poc/no-such-run/pdf?lang=fr");
    assertThat(lang.statusCode()).isEqualTo(400);
    assertThat(json(lang).get("message").asText()).contains("[en, ja]");
  }
}
