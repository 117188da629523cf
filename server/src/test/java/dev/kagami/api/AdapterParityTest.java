package dev.kagami.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.api.v1.CancelJobRequest;
import dev.kagami.api.v1.CancelRunRequest;
import dev.kagami.api.v1.CompareReportsRequest;
import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.DatasetSourceKind;
import dev.kagami.api.v1.EvaluateRequest;
import dev.kagami.api.v1.EvaluationServiceGrpc;
import dev.kagami.api.v1.FineTuneServiceGrpc;
import dev.kagami.api.v1.GetDatasetRequest;
import dev.kagami.api.v1.GetJobRequest;
import dev.kagami.api.v1.GetReportRequest;
import dev.kagami.api.v1.GetRunRequest;
import dev.kagami.api.v1.ImportDatasetRequest;
import dev.kagami.api.v1.JobServiceGrpc;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.RunConfig;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.StartRunRequest;
import dev.kagami.error.ErrorKind;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Http;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * One table of scenarios run through both adapters, gRPC and REST: each must end with the same kind of
 * failure ({@link ErrorKind}: its gRPC code over gRPC, its HTTP status over REST) and the same message,
 * since both call the same application service. A rule that lived in one adapter only would show here.
 */
@QuarkusTest
class AdapterParityTest {

  record Scenario(String what, ErrorKind expected, Runnable grpc, Supplier<HttpResponse<String>> rest) {}

  static Runnable drain(java.util.Iterator<?> it) {
    return () -> it.forEachRemaining(x -> { });
  }

  @Test
  void every_scenario_fails_alike_over_grpc_and_rest() throws Exception {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    try {
      var datasets = DatasetServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      var eval = EvaluationServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      var runs = FineTuneServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      var jobs = JobServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      var search = SearchServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      var models = dev.kagami.api.v1.ModelServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      String tmp = System.getProperty("java.io.tmpdir");
      List<Scenario> table = List.of(
          new Scenario("import: bad name", ErrorKind.INVALID_ARGUMENT,
              () -> drain(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("bad name!")
                  .setKind(DatasetSourceKind.FOLDER).setPath(tmp).build())).run(),
              () -> Http.postJson("/api/v1/datasets", "{\"name\": \"bad name!\", \"source\": \"FOLDER\", \"path\": \"" + tmp + "\"}")),
          new Scenario("import: '..' out of the roots", ErrorKind.INVALID_ARGUMENT,
              () -> drain(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("up")
                  .setKind(DatasetSourceKind.FOLDER).setPath(tmp + "/../../etc").build())).run(),
              () -> Http.postJson("/api/v1/datasets", "{\"name\": \"up\", \"source\": \"FOLDER\", \"path\": \"" + tmp + "/../../etc\"}")),
          new Scenario("import: relative path", ErrorKind.INVALID_ARGUMENT,
              () -> drain(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("rel")
                  .setKind(DatasetSourceKind.FOLDER).setPath("data").build())).run(),
              () -> Http.postJson("/api/v1/datasets", "{\"name\": \"rel\", \"source\": \"FOLDER\", \"path\": \"data\"}")),
          new Scenario("import: missing folder", ErrorKind.INVALID_ARGUMENT,
              () -> drain(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("gone")
                  .setKind(DatasetSourceKind.FOLDER).setPath(tmp + "/no-such-folder-kagami").build())).run(),
              () -> Http.postJson("/api/v1/datasets", "{\"name\": \"gone\", \"source\": \"FOLDER\", \"path\": \"" + tmp
                  + "/no-such-folder-kagami\"}")),
          new Scenario("import: fractions that do not add up", ErrorKind.INVALID_ARGUMENT,
              () -> drain(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("f").setKind(DatasetSourceKind.FOLDER)
                  .setPath(tmp).setTrainFraction(0.9).setTestFraction(0.9).build())).run(),
              () -> Http.postJson("/api/v1/datasets", "{\"name\": \"f\", \"source\": \"FOLDER\", \"path\": \"" + tmp
                  + "\", \"trainFraction\": 0.9, \"testFraction\": 0.9}")),
          new Scenario("dataset: unknown", ErrorKind.NOT_FOUND,
              () -> datasets.getDataset(GetDatasetRequest.newBuilder().setName("no-such").build()),
              () -> Http.get("/api/v1/datasets/no-such")),
          new Scenario("evaluate: unknown dataset", ErrorKind.NOT_FOUND,
              () -> drain(eval.evaluate(EvaluateRequest.newBuilder().setDataset("no-such").build())).run(),
              () -> Http.postJson("/api/v1/evaluations", "{\"dataset\": \"no-such\"}")),
          new Scenario("evaluate: model not loaded", ErrorKind.INVALID_ARGUMENT,
              () -> drain(eval.evaluate(EvaluateRequest.newBuilder().setDataset("x")
                  .setModel(ModelRef.newBuilder().setName("no-such").setVersion("1")).build())).run(),
              () -> Http.postJson("/api/v1/evaluations", "{\"dataset\": \"x\", \"model\": \"no-such/1\"}")),
          new Scenario("report: unknown", ErrorKind.NOT_FOUND,
              () -> eval.getReport(GetReportRequest.newBuilder().setId("no-such").build()),
              () -> Http.get("/api/v1/reports/no-such")),
          new Scenario("compare: unknown reports", ErrorKind.NOT_FOUND,
              () -> eval.compareReports(CompareReportsRequest.newBuilder().setBeforeId("a").setAfterId("b").build()),
              () -> Http.get("/api/v1/reports/compare?before=a&after=b")),
          new Scenario("job: unknown", ErrorKind.NOT_FOUND,
              () -> jobs.getJob(GetJobRequest.newBuilder().setId("no-such").build()),
              () -> Http.get("/api/v1/jobs/no-such")),
          new Scenario("job: cancel unknown", ErrorKind.NOT_FOUND,
              () -> jobs.cancelJob(CancelJobRequest.newBuilder().setId("no-such").build()),
              () -> Http.postJson("/api/v1/jobs/no-such/cancel", "")),
          new Scenario("run: unknown", ErrorKind.NOT_FOUND,
              () -> runs.getRun(GetRunRequest.newBuilder().setId("no-such").build()),
              () -> Http.get("/api/v1/runs/no-such")),
          new Scenario("run: cancel unknown", ErrorKind.NOT_FOUND,
              () -> runs.cancelRun(CancelRunRequest.newBuilder().setId("no-such").build()),
              () -> Http.postJson("/api/v1/runs/no-such/cancel", "")),
          new Scenario("run: unknown dataset", ErrorKind.NOT_FOUND,
              () -> runs.startRun(StartRunRequest.newBuilder().setConfig(RunConfig.newBuilder().setDataset("no-such")).build()),
              () -> Http.postJson("/api/v1/runs", "{\"dataset\": \"no-such\"}")),
          new Scenario("run: patience below -1", ErrorKind.INVALID_ARGUMENT,
              () -> runs.startRun(StartRunRequest.newBuilder().setConfig(RunConfig.newBuilder().setDataset("x").setPatience(-2)).build()),
              () -> Http.postJson("/api/v1/runs", "{\"dataset\": \"x\", \"patience\": -2}")),
          new Scenario("run: negative epochs", ErrorKind.INVALID_ARGUMENT,
              () -> runs.startRun(StartRunRequest.newBuilder().setConfig(RunConfig.newBuilder().setDataset("x").setEpochs(-1)).build()),
              () -> Http.postJson("/api/v1/runs", "{\"dataset\": \"x\", \"epochs\": -1}")),
          new Scenario("search: unknown collection", ErrorKind.NOT_FOUND,
              () -> search.search(SearchRequest.newBuilder().setCollection("no-such").setText("a").build()),
              () -> Http.postJson("/api/v1/collections/no-such/search", "{\"text\": \"a\"}")),
          new Scenario("search: negative k", ErrorKind.INVALID_ARGUMENT,
              () -> search.search(SearchRequest.newBuilder().setCollection("no-such").setText("a").setK(-1).build()),
              () -> Http.postJson("/api/v1/collections/no-such/search", "{\"text\": \"a\", \"k\": -1}")),
          new Scenario("search: no query", ErrorKind.INVALID_ARGUMENT,
              () -> search.search(SearchRequest.newBuilder().setCollection("no-such").build()),
              () -> Http.postJson("/api/v1/collections/no-such/search", "{}")),
          new Scenario("model: unknown version", ErrorKind.NOT_FOUND,
              () -> models.getModel(dev.kagami.api.v1.GetModelRequest.newBuilder()
                  .setModel(ModelRef.newBuilder().setName("no-such").setVersion("1")).build()),
              () -> Http.get("/api/v1/models/no-such/1")),
          new Scenario("model: import outside the roots", ErrorKind.INVALID_ARGUMENT,
              () -> models.importModel(dev.kagami.api.v1.ImportModelRequest.newBuilder().setPath("/etc").build()),
              () -> Http.postJson("/api/v1/models", "{\"path\": \"/etc\"}")),
          new Scenario("model: unload what production serves", ErrorKind.FAILED_PRECONDITION,
              () -> models.unloadModel(dev.kagami.api.v1.UnloadModelRequest.newBuilder()
                  .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("1")).build()),
              () -> Http.postJson("/api/v1/models/tiny-clip/1/unload", "")),
          new Scenario("promote: to the version it serves", ErrorKind.FAILED_PRECONDITION,
              () -> models.promote(dev.kagami.api.v1.PromoteRequest.newBuilder().setAlias("production")
                  .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("1")).setDataset("x").build()),
              () -> Http.postJson("/api/v1/aliases/production/promote", "{\"model\": \"tiny-clip/1\", \"dataset\": \"x\"}")),
          new Scenario("promote: bad alias", ErrorKind.INVALID_ARGUMENT,
              () -> models.promote(dev.kagami.api.v1.PromoteRequest.newBuilder().setAlias("Bad!")
                  .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("1")).setDataset("x").build()),
              () -> Http.postJson("/api/v1/aliases/Bad!/promote", "{\"model\": \"tiny-clip/1\", \"dataset\": \"x\"}")),
          new Scenario("rollback: unknown alias", ErrorKind.NOT_FOUND,
              () -> models.rollback(dev.kagami.api.v1.RollbackRequest.newBuilder().setAlias("nosuch").build()),
              () -> Http.postJson("/api/v1/aliases/nosuch/rollback", "{}")),
          new Scenario("gate: no dataset", ErrorKind.INVALID_ARGUMENT,
              () -> models.checkGate(dev.kagami.api.v1.PromoteRequest.newBuilder().setAlias("production")
                  .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("1")).build()),
              () -> Http.postJson("/api/v1/aliases/production/gate", "{\"model\": \"tiny-clip/1\"}")));

      ObjectMapper json = new ObjectMapper();
      List<String> mismatches = new ArrayList<>();
      for (Scenario s : table) {
        Status g;
        try {
          s.grpc().run();
          g = Status.OK;
        } catch (StatusRuntimeException e) {
          g = e.getStatus();
        }
        HttpResponse<String> r = s.rest().get();
        String restMessage = r.statusCode() >= 400 ? json.readTree(r.body()).path("message").asText() : "";
        if (!g.getCode().name().equals(s.expected().grpcCode())) {
          mismatches.add(s.what() + ": gRPC " + g.getCode() + " (" + g.getDescription() + "), expected " + s.expected().grpcCode());
        }
        if (r.statusCode() != s.expected().httpStatus()) {
          mismatches.add(s.what() + ": HTTP " + r.statusCode() + " (" + r.body() + "), expected " + s.expected().httpStatus());
        }
        if (!restMessage.equals(g.getDescription())) {
          mismatches.add(s.what() + ": messages differ: gRPC '" + g.getDescription() + "' vs REST '" + restMessage + "'");
        }
      }
      System.out.printf("adapter parity: %d scenarios through gRPC and REST, %d mismatches%n", table.size(), mismatches.size());
      assertThat(mismatches).isEmpty();
    } finally {
      ch.shutdownNow();
    }
  }
}
