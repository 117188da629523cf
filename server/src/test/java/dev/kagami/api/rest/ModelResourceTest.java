package dev.kagami.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.testing.Http;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The model registry's REST routes: what they list, and the same refusals as gRPC with the HTTP codes of the table. */
@QuarkusTest
class ModelResourceTest {

  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  static HttpResponse<String> put(String path, String body) {
    return Http.send(HttpRequest.newBuilder(Http.uri(path)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  @Test
  void the_registry_lists_the_repository_and_production() throws Exception {
    HttpResponse<String> list = Http.get("/api/v1/models");
    assertThat(list.statusCode()).isEqualTo(200);
    JsonNode tiny = null;
    for (JsonNode m : json(list)) {
      if (m.at("/version/id/name").asText().equals("tiny-clip") && m.at("/version/id/version").asText().equals("1")) {
        tiny = m;
      }
    }
    assertThat(tiny).as(list.body()).isNotNull();
    assertThat(tiny.at("/version/origin").asText()).isEqualTo("FOUND");
    assertThat(tiny.at("/version/dimension").asInt()).isEqualTo(32);
    assertThat(tiny.at("/aliases").toString()).contains("production");
    assertThat(tiny.at("/loaded").asBoolean()).isTrue();
    JsonNode one = json(Http.get("/api/v1/models/tiny-clip/1"));
    assertThat(one.at("/version/checksum").asText()).hasSize(64);
    JsonNode aliases = json(Http.get("/api/v1/aliases"));
    assertThat(aliases.toString()).contains("\"alias\":\"production\"").contains("\"servingHere\":\"tiny-clip/1\"");
    JsonNode rules = json(Http.get("/api/v1/aliases/production/rules"));
    assertThat(rules.get("requireParity").asBoolean()).isTrue();
    assertThat(json(Http.get("/api/v1/aliases/events?alias=production")).get(0).get("kind").asText()).isIn("INITIAL",
        "PROMOTE", "ROLLBACK");
  }

  @Test
  void refusals_have_the_codes_of_the_error_table() throws Exception {
    HttpResponse<String> unknown = Http.get("/api/v1/models/nope/9");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("code").asText()).isEqualTo("NOT_FOUND");
    HttpResponse<String> badRules = put("/api/v1/aliases/production/rules", "{\"minMapGain\": 0, \"textTolerance\": 2,"
        + " \"maxClassApDrop\": 0.05, \"maxLatencyP99Ms\": 100, \"requireParity\": true}");
    assertThat(badRules.statusCode()).as(badRules.body()).isEqualTo(400);
    assertThat(badRules.body()).contains("text_tolerance").doesNotContain("\tat ");
    HttpResponse<String> noDataset = Http.postJson("/api/v1/aliases/production/gate", "{\"model\": \"tiny-clip/1\"}");
    assertThat(noDataset.statusCode()).as(noDataset.body()).isEqualTo(400);
    HttpResponse<String> same = Http.postJson("/api/v1/aliases/production/promote", "{\"model\": \"tiny-clip/1\", \"dataset\": \"x\"}");
    assertThat(same.statusCode()).as(same.body()).isEqualTo(409);
    assertThat(same.body()).contains("already points at");
    HttpResponse<String> unloadServing = Http.postJson("/api/v1/models/tiny-clip/1/unload", "");
    assertThat(unloadServing.statusCode()).as(unloadServing.body()).isEqualTo(409);
    HttpResponse<String> outside = Http.postJson("/api/v1/models", "{\"path\": \"/etc\"}");
    assertThat(outside.statusCode()).as(outside.body()).isEqualTo(400);
    HttpResponse<String> badAlias = Http.postJson("/api/v1/aliases/NOPE!/rollback", "{}");
    assertThat(badAlias.statusCode()).as(badAlias.body()).isIn(400, 404);
  }
}
