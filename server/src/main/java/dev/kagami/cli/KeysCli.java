package dev.kagami.cli;

import dev.kagami.error.KagamiException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kagami keys create|list|revoke}: API keys of a running server, through its REST API with an admin
 * key ({@code --key} or KAGAMI_API_KEY; none while the server runs without keys on loopback). Prints the
 * server's JSON; a refusal prints the server's message and exits 1.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create, list or revoke a server's API keys.",
    subcommands = {KeysCli.Create.class, KeysCli.ListKeys.class, KeysCli.Revoke.class})
public final class KeysCli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--server", defaultValue = "http://localhost:8080", description = "The server's HTTP address (default ${DEFAULT-VALUE}).")
  URI server;

  @Option(names = "--key", defaultValue = "${env:KAGAMI_API_KEY}", description = "An admin key (default: $KAGAMI_API_KEY).")
  String key;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command: create, list or revoke");
  }

  String call(String method, String path, String json) {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(30));
    if (key != null && !key.isBlank()) {
      b.header("Authorization", "Bearer " + key.trim());
    }
    b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(b.build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 400) {
        throw new IllegalArgumentException("the server answered " + r.statusCode() + ": " + r.body());
      }
      return r.body();
    } catch (IOException e) {
      throw new KagamiException.BackendUnavailable("cannot reach " + server + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KagamiException.Cancelled("interrupted");
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key; prints it with its secret (shown once).")
  static final class Create implements Callable<Integer> {
    @CommandLine.ParentCommand
    KeysCli keys;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--name", required = true, description = "The key's name (who uses it).")
    String name;

    @Option(names = "--role", required = true, description = "reader, writer or admin.")
    String role;

    @Override
    public Integer call() {
      String body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("name", name).put("role", role)
          .toString();
      spec.commandLine().getOut().println(keys.call("POST", "/api/v1/keys", body));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the keys (never their secrets).")
  static final class ListKeys implements Callable<Integer> {
    @CommandLine.ParentCommand
    KeysCli keys;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println(keys.call("GET", "/api/v1/keys", null));
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by its id.")
  static final class Revoke implements Callable<Integer> {
    @CommandLine.ParentCommand
    KeysCli keys;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "The key's id (from list).")
    String id;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println(keys.call("DELETE", "/api/v1/keys/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8), null));
      return 0;
    }
  }
}
