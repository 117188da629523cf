package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.ListCollectionsRequest;
import dev.kagami.api.v1.ReindexProgress;
import dev.kagami.api.v1.ReindexRequest;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchResponse;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.SetAliasRequest;
import dev.kagami.api.v1.UpsertRequest;
import dev.kagami.api.v1.UpsertResponse;
import dev.kagami.testing.GrpcTesting;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's grpcurl block without grpcurl (not installable here): reads the fenced {@code sh} block
 * under "## Index and search", fills each {@code printf} template as the shell would ({@code basename} and
 * {@code base64 -w0} of the files of the {@code for} loop or of the named file), turns the JSON into the
 * request message with protobuf's JSON mapping (what grpcurl does), and sends it to the test server. Any
 * change of field names, JSON shape or method names in the README fails here.
 */
@QuarkusTest
class ReadmeGrpcurlTest {

  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final Pattern METHOD = Pattern.compile("kagami\\.v1\\.SearchService/(\\w+)");
  static final Pattern LITERAL = Pattern.compile("-d '([^']*)'");
  static final Pattern PRINTF = Pattern.compile("printf '([^']*)'((?:\\s+\"\\$\\([^)]*\\)\")*)");
  static final Pattern ARG = Pattern.compile("\"\\$\\((basename|base64 -w0) \"?([^\")]+)\"?\\)\"");

  record Call(String method, List<String> json) {}

  static List<String> readmeBlock() throws IOException {
    List<String> lines = Files.readAllLines(REPO.resolve("README.md"));
    int start = lines.indexOf("## Index and search");
    int open = start;
    while (!lines.get(open).equals("```sh")) {
      open++;
    }
    List<String> block = new ArrayList<>();
    StringBuilder logical = new StringBuilder();
    for (int i = open + 1; !lines.get(i).equals("```"); i++) {
      String l = lines.get(i);
      if (l.endsWith("\\")) {
        logical.append(l, 0, l.length() - 1);
        continue;
      }
      logical.append(l);
      String full = logical.toString().trim();
      logical.setLength(0);
      if (!full.isEmpty() && !full.startsWith("#")) {
        block.add(full);
      }
    }
    return block;
  }

  /** What the shell would send: one call per grpcurl, with the JSON messages it reads. */
  static List<Call> calls(List<String> block) throws IOException {
    List<Call> calls = new ArrayList<>();
    List<Path> loopFiles = null;
    List<String> pending = new ArrayList<>();
    for (String line : block) {
      if (line.startsWith("for f in ")) {
        String glob = line.substring("for f in ".length(), line.indexOf(';')).trim();
        Path dir = REPO.resolve(glob.substring(0, glob.lastIndexOf('/')));
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob.substring(glob.lastIndexOf('/') + 1));
        try (Stream<Path> files = Files.list(dir)) {
          loopFiles = files.filter(p -> m.matches(p.getFileName())).sorted().toList();
        }
        assertThat(loopFiles).as("files of the README's loop").isNotEmpty();
        continue;
      }
      Matcher p = PRINTF.matcher(line);
      if (p.find()) {
        String template = p.group(1).replace("\\n", "");
        List<String[]> args = new ArrayList<>();
        Matcher a = ARG.matcher(p.group(2));
        while (a.find()) {
          args.add(new String[] {a.group(1), a.group(2)});
        }
        boolean inLoop = args.stream().anyMatch(x -> x[1].equals("$f"));
        for (Path f : inLoop ? loopFiles : List.of(REPO)) {
          Object[] values = new Object[args.size()];
          for (int i = 0; i < values.length; i++) {
            Path file = args.get(i)[1].equals("$f") ? f : REPO.resolve(args.get(i)[1]);
            values[i] = args.get(i)[0].equals("basename") ? file.getFileName().toString()
                : Base64.getEncoder().encodeToString(Files.readAllBytes(file));
          }
          pending.add(String.format(template, values));
        }
      }
      Matcher method = METHOD.matcher(line);
      if (line.contains("grpcurl") && method.find()) {
        Matcher lit = LITERAL.matcher(line);
        List<String> json;
        if (lit.find()) {
          json = List.of(lit.group(1));
        } else {
          assertThat(line).contains("-d @");
          json = List.copyOf(pending);
        }
        pending.clear();
        calls.add(new Call(method.group(1), json));
      }
    }
    return calls;
  }

  static <T extends Message.Builder> T parse(String json, T builder, String tag) {
    try {
      JsonFormat.parser().merge(json.replace("\"catalogue", "\"catalogue" + tag), builder);
      return builder;
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("README JSON is not a valid " + builder.getDescriptorForType().getFullName() + ": " + json, e);
    }
  }

  @Test
  void the_readme_grpcurl_block_runs_against_the_server() throws Exception {
    List<Call> calls = calls(readmeBlock());
    assertThat(calls).extracting(Call::method)
        .containsExactly("CreateCollection", "SetAlias", "UpsertStream", "Search", "Search", "Search", "Reindex");
    String tag = "-" + UUID.randomUUID().toString().substring(0, 8); // the test server's index outlives one run
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().maxInboundMessageSize(32 << 20).build();
    try {
      SearchServiceGrpc.SearchServiceBlockingStub blocking = SearchServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(120, TimeUnit.SECONDS);
      SearchServiceGrpc.SearchServiceStub async = SearchServiceGrpc.newStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
      Map<String, Object> answers = new LinkedHashMap<>();
      int searches = 0;
      for (Call c : calls) {
        switch (c.method()) {
          case "CreateCollection" -> answers.put("create",
              blocking.createCollection(parse(c.json().get(0), CreateCollectionRequest.newBuilder(), tag).build()));
          case "SetAlias" -> blocking.setAlias(parse(c.json().get(0), SetAliasRequest.newBuilder(), tag).build());
          case "UpsertStream" -> {
            GrpcTesting.Reply<UpsertResponse> reply = new GrpcTesting.Reply<>();
            CompletableFuture<UpsertResponse> done = reply.future;
            StreamObserver<UpsertRequest> in = async.upsertStream(reply);
            for (String json : c.json()) {
              in.onNext(parse(json, UpsertRequest.newBuilder(), tag).build());
            }
            in.onCompleted();
            answers.put("upsert", done.get(120, TimeUnit.SECONDS));
            assertThat(done.get().getUpserted()).isEqualTo(c.json().size());
          }
          case "Search" -> answers.put("search" + searches++,
              blocking.search(parse(c.json().get(0), SearchRequest.newBuilder(), tag).build()));
          case "Reindex" -> {
            List<ReindexProgress> progress = new ArrayList<>();
            blocking.reindex(parse(c.json().get(0), ReindexRequest.newBuilder(), tag).build()).forEachRemaining(progress::add);
            answers.put("reindex", progress.get(progress.size() - 1));
          }
          default -> throw new AssertionError("README calls " + c.method() + ", which this test does not know");
        }
      }
      SearchResponse byText = (SearchResponse) answers.get("search0");
      SearchResponse byImage = (SearchResponse) answers.get("search1");
      SearchResponse byId = (SearchResponse) answers.get("search2");
      assertThat(byText.getHitsCount()).isEqualTo(5);
      assertThat(byImage.getHits(0).getId()).isEqualTo("landscape_640x480.jpg");
      assertThat(byImage.getHits(0).getScore()).isGreaterThan(0.99f);
      assertThat(byId.getHits(0).getId()).isEqualTo("landscape_640x480.jpg");
      assertThat(byId.getHitsList()).allSatisfy(h -> assertThat(h.getMetadataMap().get("folder").getText()).isEqualTo("golden"));
      ReindexProgress last = (ReindexProgress) answers.get("reindex");
      assertThat(last.getFinished()).isTrue();
      assertThat(last.getSwitched()).isTrue();
      assertThat(blocking.listCollections(ListCollectionsRequest.getDefaultInstance()).getAliasesMap())
          .containsEntry("catalogue" + tag, "catalogue" + tag + "-v2");
    } finally {
      channel.shutdownNow();
    }
  }
}
