package dev.kagami.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.app.AuthService;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Http;
import dev.kagami.testing.RawCalls;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every gRPC method and REST route × {no key, malformed, revoked, reader, writer, admin}, against the access
 * table: a caller the table refuses gets exactly UNAUTHENTICATED/401 (no, malformed or revoked key) or
 * PERMISSION_DENIED/403 (role too low); one it allows gets past the check (whatever the empty request then
 * answers). The mismatches are counted and must be 0.
 */
@QuarkusTest
@TestProfile(AuthProfile.class)
class AuthMatrixTest {

  @Inject
  AuthService auth;

  static final ObjectMapper JSON = new ObjectMapper();

  /** A caller: its key (null: none) and the role it has (null: it must be refused as unauthenticated). */
  record Caller(String name, String secret, Role role) {}

  List<Caller> callers() {
    String n = Long.toString(System.nanoTime());
    String revoked = auth.create("matrix-revoked-" + n, Role.ADMIN, "test").secret();
    auth.revoke(auth.list().stream().filter(k -> k.name().equals("matrix-revoked-" + n)).findFirst().orElseThrow().id());
    return List.of(new Caller("no key", null, null), new Caller("malformed", "kgm_not-a-key", null),
        new Caller("revoked", revoked, null),
        new Caller("reader", auth.create("matrix-reader-" + n, Role.READER, "test").secret(), Role.READER),
        new Caller("writer", auth.create("matrix-writer-" + n, Role.WRITER, "test").secret(), Role.WRITER),
        new Caller("admin", auth.create("matrix-admin-" + n, Role.ADMIN, "test").secret(), Role.ADMIN));
  }

  /** What the table says {@code c} gets for a call needing {@code need}: null = allowed, else the refusal. */
  static String expected(Caller c, Optional<Role> need) {
    if (need.isEmpty()) {
      return null;
    }
    if (c.role() == null) {
      return "unauthenticated";
    }
    return c.role().allows(need.get()) ? null : "denied";
  }

  @Test
  void every_call_by_every_kind_of_caller_matches_the_table() throws Exception {
    assertThat(auth.required()).isTrue();
    List<Caller> callers = callers();
    List<String> mismatches = new ArrayList<>();
    int checked = 0;
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    try {
      for (ServiceDescriptor sd : RawCalls.allServices()) {
        for (MethodDescriptor<?, ?> m : sd.getMethods()) {
          Optional<Role> need = AccessPolicy.required(m.getFullMethodName());
          for (Caller c : callers) {
            Metadata h = new Metadata();
            if (c.secret() != null) {
              h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + c.secret());
            }
            Status s = m.getFullMethodName().endsWith("/Watch") ? Status.OK : RawCalls.call(channel, m, new byte[0], h);
            String got = s.getCode() == Status.Code.UNAUTHENTICATED ? "unauthenticated"
                : s.getCode() == Status.Code.PERMISSION_DENIED ? "denied" : null;
            checked++;
            if (!java.util.Objects.equals(got, expected(c, need))) {
              mismatches.add("gRPC " + m.getFullMethodName() + " by " + c.name() + ": " + s.getCode() + " " + s.getDescription());
            }
          }
        }
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (String route : AccessPolicyTest.restRoutes()) {
      Optional<Role> need = AccessPolicy.required(route);
      for (Caller c : callers) {
        int status = rest(route, c.secret()).statusCode();
        String got = status == 401 ? "unauthenticated" : status == 403 ? "denied" : null;
        checked++;
        if (!java.util.Objects.equals(got, expected(c, need))) {
          mismatches.add("REST " + route + " by " + c.name() + ": " + status);
        }
      }
    }
    System.out.println("auth matrix: " + checked + " calls checked, " + mismatches.size() + " mismatches with the access table");
    assertThat(mismatches).isEmpty();
  }

  /** {@code route} with every path parameter set to "x" and an empty body of the type it consumes. */
  static HttpResponse<String> rest(String route, String secret) {
    String verb = route.substring(0, route.indexOf(' '));
    String path = route.substring(route.indexOf(' ') + 1).replaceAll("\\{[^}]+}", "x");
    String type = path.endsWith("/upload") ? "multipart/form-data; boundary=kagami" : path.endsWith("/search/image")
        ? "application/octet-stream" : "application/json";
    String body = type.equals("application/json") ? "{}" : "";
    HttpRequest.Builder b = HttpRequest.newBuilder(Http.uri(path)).timeout(java.time.Duration.ofSeconds(30));
    if (secret != null) {
      b.header("Authorization", "Bearer " + secret);
    }
    b = switch (verb) {
      case "GET" -> b.GET();
      case "DELETE" -> b.DELETE();
      default -> b.header("Content-Type", type).method(verb, HttpRequest.BodyPublishers.ofString(body));
    };
    return Http.send(b.build());
  }

  @Test
  void keys_are_made_and_revoked_over_the_api_and_admin_actions_are_audited() throws Exception {
    String admin = auth.create("api-admin-" + System.nanoTime(), Role.ADMIN, "test").secret();
    HttpResponse<String> made = Http.send(HttpRequest.newBuilder(Http.uri("/api/v1/keys")).header("Authorization", "Bearer " + admin)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"team-search\",\"role\":\"reader\"}"))
        .build());
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    JsonNode k = JSON.readTree(made.body());
    String secret = k.get("secret").asText();
    assertThat(k.at("/key/prefix").asText()).isEqualTo(secret.substring(0, 12));
    assertThat(rest("GET /api/v1/models", secret).statusCode()).isEqualTo(200);
    assertThat(rest("POST /api/v1/datasets", secret).statusCode()).isEqualTo(403);
    JsonNode who = JSON.readTree(rest("GET /api/v1/whoami", secret).body());
    assertThat(who.get("name").asText()).isEqualTo("team-search");
    assertThat(who.get("role").asText()).isEqualTo("reader");
    HttpResponse<String> list = rest("GET /api/v1/keys", admin);
    assertThat(list.body()).contains("team-search").doesNotContain(secret);
    assertThat(rest("POST /api/v1/keys", admin).statusCode()).isEqualTo(400); // {} has no name
    HttpResponse<String> revoked = Http.send(HttpRequest.newBuilder(Http.uri("/api/v1/keys/" + k.at("/key/id").asText()))
        .header("Authorization", "Bearer " + admin).DELETE().build());
    assertThat(revoked.statusCode()).isEqualTo(200);
    HttpResponse<String> after = rest("GET /api/v1/models", secret);
    assertThat(after.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(after.body()).get("message").asText()).contains("revoked");
    List<String> seen = new ArrayList<>();
    String actor = who.get("name").asText().isEmpty() ? "" : JSON.readTree(rest("GET /api/v1/whoami", admin).body()).get("name").asText();
    for (JsonNode e : JSON.readTree(rest("GET /api/v1/audit?limit=50", admin).body())) {
      if (e.get("actor").asText().equals(actor)) {
        seen.add(e.get("action").asText() + " " + e.get("outcome").asText());
      }
    }
    // the command line does the same through the API
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter printed = new java.io.StringWriter();
    String server = Http.uri("/").toString();
    picocli.CommandLine make = dev.kagami.cli.KagamiCli.commandLine();
    make.setOut(new java.io.PrintWriter(printed, true));
    int created = make.execute("keys", "--server", server, "--key", admin, "create", "--name", "cli-made", "--role", "writer");
    picocli.CommandLine cl = dev.kagami.cli.KagamiCli.commandLine();
    cl.setErr(new java.io.PrintWriter(out, true));
    int refused = cl.execute("keys", "--server", server, "--key", secret, "list");
    assertThat(created).isZero();
    assertThat(printed.toString()).contains("\"name\":\"cli-made\"", "\"secret\":\"kgm_");
    assertThat(refused).isEqualTo(1);
    assertThat(out.toString()).contains("401", "revoked");
    assertThat(seen).contains("rest POST /api/v1/keys 201", "rest POST /api/v1/keys 400", "rest DELETE /api/v1/keys/{id} 200",
        "rest GET /api/v1/keys 200");
  }
}
