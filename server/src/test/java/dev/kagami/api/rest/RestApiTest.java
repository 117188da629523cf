package dev.kagami.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.testing.Http;
import dev.kagami.testing.Images;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin REST API through real HTTP calls: jobs that outlive their caller, datasets, reports, errors. */
@QuarkusTest
class RestApiTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static Path dir;

  @BeforeAll
  static void setUp() throws Exception {
    dir = Files.createTempDirectory("kagami-rest");
    String[] names = {"red", "green", "blue"};
    Color[] colors = {Color.RED, Color.GREEN, Color.BLUE};
    for (int c = 0; c < names.length; c++) {
      Files.createDirectories(dir.resolve("folders").resolve(names[c]));
      for (int i = 0; i < 8; i++) {
        Files.write(dir.resolve("folders").resolve(names[c]).resolve(i + ".png"), Images.png(40 + i, 30 + i, colors[c]));
      }
    }
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  /** Polls a job until it ends, as a console that came back later would. */
  static JsonNode awaitJob(String id) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < end) {
      JsonNode j = json(Http.get("/api/v1/jobs/" + id));
      String state = j.get("state").asText();
      if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
        return j;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("job " + id + " did not end");
  }

  static String importBody(String name, String path) {
    return "{\"name\": \"" + name + "\", \"source\": \"FOLDER\", \"path\": \"" + path + "\"}";
  }

  @Test
  void import_then_evaluate_as_jobs_that_are_listed_and_fetched_after_the_caller_left() throws Exception {
    HttpResponse<String> started = Http.postJson("/api/v1/datasets", importBody("rest-colors", dir.resolve("folders").toString()));
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String importId = json(started).get("id").asText();
    assertThat(json(started).get("kind").asText()).isEqualTo("IMPORT_DATASET");
    // the caller went away; the job is found again by listing
    assertThat(json(Http.get("/api/v1/jobs?kind=IMPORT_DATASET")).findValuesAsText("id")).contains(importId);
    JsonNode imported = awaitJob(importId);
    assertThat(imported.get("state").asText()).as(imported.toString()).isEqualTo("SUCCEEDED");
    assertThat(imported.at("/result/images").asInt()).isEqualTo(24);
    assertThat(imported.at("/request/seed").asLong()).isEqualTo(42); // the defaults are filled in and kept

    JsonNode ds = json(Http.get("/api/v1/datasets/rest-colors?limit=5"));
    assertThat(ds.get("images").asInt()).isEqualTo(24);
    assertThat(ds.get("classes")).hasSize(3);
    assertThat(ds.at("/classes/0/images").asInt()).isEqualTo(8);
    assertThat(ds.at("/items/items")).hasSize(5);
    assertThat(ds.at("/items/total").asInt()).isEqualTo(24);
    String item = ds.at("/items/items/0/id").asText();
    HttpResponse<byte[]> thumb = Http.getBytes("/api/v1/datasets/rest-colors/items/"
        + java.net.URLEncoder.encode(item, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/image?size=16");
    assertThat(thumb.statusCode()).isEqualTo(200);
    java.awt.image.BufferedImage t = ImageIO.read(new java.io.ByteArrayInputStream(thumb.body()));
    assertThat(Math.max(t.getWidth(), t.getHeight())).isEqualTo(16);

    HttpResponse<String> eval = Http.postJson("/api/v1/evaluations", "{\"dataset\": \"rest-colors\", \"split\": \"train\", "
        + "\"templates\": \"simple\", \"kpis\": [\"I2I\", \"KNN\"]}");
    assertThat(eval.statusCode()).as(eval.body()).isEqualTo(202);
    String evalId = json(eval).get("id").asText();
    List<JsonNode> events = sse("/api/v1/jobs/" + evalId + "/events");
    assertThat(events.get(events.size() - 1).get("state").asText()).isEqualTo("SUCCEEDED");
    String reportId = awaitJob(evalId).at("/result/reportId").asText();
    JsonNode report = json(Http.get("/api/v1/reports/" + reportId));
    assertThat(report.get("model").asText()).isEqualTo("tiny-clip/1");
    assertThat(report.at("/summary/i2iMap").isNumber()).isTrue();
    HttpResponse<String> csv = Http.get("/api/v1/reports/" + reportId + "/export?format=csv");
    assertThat(csv.headers().firstValue("content-type").orElse("")).startsWith("text/csv");
    assertThat(csv.body().lines().toList()).hasSize(1 + 1 + 3).first().asString().startsWith("class,images,i2i_map");
    JsonNode cmp = json(Http.get("/api/v1/reports/compare?before=" + reportId + "&after=" + reportId));
    assertThat(cmp.at("/kpis/0/change").asDouble()).isEqualTo(0.0);
    assertThat(cmp.get("classes")).hasSize(3);
  }

  /** The events of a job as a Server-Sent Events client reads them, until the stream ends. */
  static List<JsonNode> sse(String path) throws Exception {
    HttpResponse<java.util.stream.Stream<String>> r = java.net.http.HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(Http.uri(path)).header("Accept", "text/event-stream").timeout(Duration.ofSeconds(120)).build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    try (java.util.stream.Stream<String> lines = r.body()) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.startsWith("data:")) {
          out.add(JSON.readTree(line.substring(5)));
        }
      }
    }
    assertThat(out).isNotEmpty();
    return out;
  }

  static byte[] zip(Map<String, byte[]> entries) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return b.toByteArray();
  }

  static HttpResponse<String> upload(String name, byte[] zip) {
    String boundary = "kagami" + System.nanoTime();
    return Http.post("/api/v1/datasets/upload", "multipart/form-data; boundary=" + boundary,
        Http.multipart(boundary, Map.of("name", name), name + ".zip", zip));
  }

  @Test
  void uploads_import_class_folders_and_refuse_archives_that_escape_or_are_too_large() throws Exception {
    Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 4; i++) {
      files.put("shop/cat/" + i + ".png", Images.png(20 + i, 20, Color.ORANGE));
      files.put("shop/dog/" + i + ".png", Images.png(20 + i, 20, Color.CYAN));
    }
    HttpResponse<String> ok = upload("rest-upload", zip(files));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
    JsonNode done = awaitJob(json(ok).get("id").asText());
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
    assertThat(json(Http.get("/api/v1/datasets/rest-upload")).get("classes")).hasSize(2);

    Path uploads = Path.of("target/test-data/uploads");
    long before;
    try (var s = Files.list(uploads)) {
      before = s.count();
    }
    HttpResponse<String> escape = upload("rest-escape", zip(Map.of("cat/../../evil.png", Images.png(8, 8, Color.RED))));
    assertThat(escape.statusCode()).isEqualTo(400);
    assertThat(json(escape).get("message").asText()).contains("leads out of the archive");
    HttpResponse<String> big = upload("rest-big", new byte[4_100_000]);
    assertThat(big.statusCode()).isEqualTo(400);
    assertThat(json(big).get("message").asText()).contains("at most 4000000");
    try (var s = Files.list(uploads)) {
      assertThat(s.count()).as("nothing written").isEqualTo(before);
    }
    assertThat(Http.get("/api/v1/datasets/rest-escape").statusCode()).isEqualTo(404);
  }

  @Test
  void bad_input_gets_a_clear_400_or_404_and_never_a_stack_trace() throws Exception {
    record Case(String what, HttpResponse<String> r, int status, String message) {}
    List<Case> cases = List.of(
        new Case("path traversal", Http.postJson("/api/v1/datasets", importBody("up", dir + "/../../../etc")), 400,
            "not under an import root"),
        new Case("empty name", Http.postJson("/api/v1/datasets", importBody("", dir.toString())), 400, "dataset name"),
        new Case("bad enum", Http.postJson("/api/v1/datasets", "{\"name\": \"x\", \"source\": \"FTP\", \"path\": \"/tmp\"}"),
            400, "allowed: FOLDER, MANIFEST, FASHION_MNIST, OPENCLIPART"),
        new Case("unknown field", Http.postJson("/api/v1/datasets", "{\"nam\": \"x\"}"), 400, "unknown field 'nam'"),
        new Case("not JSON", Http.postJson("/api/v1/datasets", "{name"), 400, "not valid JSON"),
        new Case("unknown dataset", Http.get("/api/v1/datasets/no-such"), 404, "no dataset named 'no-such'"),
        new Case("unknown dataset to evaluate", Http.postJson("/api/v1/evaluations", "{\"dataset\": \"no-such\"}"), 404,
            "no dataset named"),
        new Case("unknown report", Http.get("/api/v1/reports/no-such"), 404, "no report"),
        new Case("compare unknown", Http.get("/api/v1/reports/compare?before=a&after=b"), 404, "no report"),
        new Case("unknown job", Http.get("/api/v1/jobs/no-such"), 404, "no job"),
        new Case("unknown job events", Http.get("/api/v1/jobs/no-such/events"), 404, "no job"),
        new Case("cancel unknown job", Http.postJson("/api/v1/jobs/no-such/cancel", ""), 404, "no job"),
        new Case("bad job filter", Http.get("/api/v1/jobs?kind=NOPE"), 400, "allowed: [IMPORT_DATASET"),
        new Case("unknown run", Http.get("/api/v1/runs/no-such"), 404, "no fine-tuning run"),
        new Case("unknown collection", Http.postJson("/api/v1/collections/no-such/search", "{\"text\": \"a\"}"), 404,
            "no-such"),
        new Case("two queries", Http.postJson("/api/v1/collections/no-such/search", "{\"text\": \"a\", \"id\": \"b\"}"), 400,
            "exactly one of"),
        new Case("bad thumbnail size", Http.get("/api/v1/datasets/no-such/items/x/image?size=0"), 404, ""));
    for (Case c : cases) {
      assertThat(c.r().statusCode()).as(c.what() + ": " + c.r().body()).isEqualTo(c.status());
      assertThat(c.r().body()).as(c.what()).doesNotContain("Exception").doesNotContain("\tat ");
      if (!c.message().isEmpty()) {
        assertThat(json(c.r()).get("message").asText()).as(c.what()).contains(c.message());
      }
    }
    System.out.printf("REST bad-input cases: %d, 0 mismatches%n", cases.size());
  }

  @Test
  void server_info_openapi_and_swagger_ui() throws Exception {
    JsonNode info = json(Http.get("/api/v1/info"));
    assertThat(info.get("health").asText()).isEqualTo("SERVING");
    assertThat(info.at("/model/name").asText()).isEqualTo("tiny-clip");
    assertThat(info.at("/model/engine").asText()).isEqualTo("onnxruntime");
    HttpResponse<String> openapi = Http.get("/q/openapi?format=json");
    assertThat(openapi.statusCode()).isEqualTo(200);
    assertThat(json(openapi).get("paths").has("/api/v1/jobs/{id}/events")).isTrue();
    assertThat(Http.get("/q/swagger-ui/").statusCode()).isEqualTo(200);
  }
}
