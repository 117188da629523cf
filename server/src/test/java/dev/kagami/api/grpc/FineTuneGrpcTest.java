package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.api.v1.CancelRunRequest;
import dev.kagami.api.v1.CaptionSource;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.EvaluationServiceGrpc;
import dev.kagami.api.v1.FineTuneMethod;
import dev.kagami.api.v1.FineTuneServiceGrpc;
import dev.kagami.api.v1.GetReportRequest;
import dev.kagami.api.v1.GetRunRequest;
import dev.kagami.api.v1.ListRunsRequest;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.Run;
import dev.kagami.api.v1.RunConfig;
import dev.kagami.api.v1.RunEvent;
import dev.kagami.api.v1.RunState;
import dev.kagami.api.v1.StartRunRequest;
import dev.kagami.api.v1.TrainableParameters;
import dev.kagami.api.v1.WatchRunRequest;
import dev.kagami.testing.FineTuneProfile;
import dev.kagami.testing.GrpcTesting;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FineTuneService over real gRPC: a run from start to its evaluated new model version, watched as it
 * goes; cancellation; bad requests refused with the reason.
 */
@QuarkusTest
@TestProfile(FineTuneProfile.class)
class FineTuneGrpcTest {

  static ManagedChannel channel;
  static FineTuneServiceGrpc.FineTuneServiceBlockingStub runs;

  @BeforeAll
  static void setUp() throws Exception {
    channel = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().build();
    runs = FineTuneServiceGrpc.newBlockingStub(channel);
    dev.kagami.testing.PatternDataset.importInto(channel, "patterns");
  }

  @AfterAll
  static void tearDown() {
    channel.shutdownNow();
  }

  static RunConfig.Builder small() {
    return RunConfig.newBuilder().setDataset("patterns").setTrainable(TrainableParameters.LAST_BLOCKS).setLastBlocks(1)
        .setEpochs(2).setBatchSize(8).setRealignEpochs(1).setLearningRate(1e-3).setValidateEvery(2);
  }

  @Test
  void a_run_is_watched_to_a_new_evaluated_model_version() {
    Run started = runs.startRun(StartRunRequest.newBuilder()
        .setConfig(small().setMethod(FineTuneMethod.MCIP_REALIGN).setNewVersion("ft-grpc")).build());
    assertThat(started.getState()).isEqualTo(RunState.QUEUED);
    assertThat(started.getConfig().getBaseModel().getName()).isEqualTo("tiny-clip"); // the active model by default
    assertThat(started.getConfig().getCaptions()).isEqualTo(CaptionSource.DATASET_CAPTIONS); // the dataset has captions
    assertThat(started.getConfig().getSeed()).isEqualTo(42);
    // the stages' own settings: proxies at an absolute rate, re-alignment's own trainable blocks
    assertThat(started.getConfig().getProxyLearningRate()).isEqualTo(1e-2);
    assertThat(started.getConfig().getRealignTrainable()).isEqualTo(TrainableParameters.LAST_BLOCKS);
    assertThat(started.getConfig().getRealignLastBlocks()).isEqualTo(2);
    assertThat(started.getConfig().getRealignTrainEmbeddings()).isFalse();

    List<RunEvent> events = new ArrayList<>();
    runs.withDeadlineAfter(300, TimeUnit.SECONDS).watchRun(WatchRunRequest.newBuilder().setId(started.getId()).build())
        .forEachRemaining(events::add);
    assertThat(events.get(0).hasRun()).isTrue();
    Run end = events.get(events.size() - 1).getRun();
    assertThat(end.getState()).as(end.getError()).isEqualTo(RunState.SUCCEEDED);
    assertThat(end.getResultModel()).isEqualTo(ModelRef.newBuilder().setName("tiny-clip").setVersion("ft-grpc").build());
    // 32 training images, batch 8: 4 steps an epoch, 8 in the image stage, 4 in re-alignment
    assertThat(events.stream().filter(RunEvent::hasProgress).map(e -> e.getProgress().getStage() + ":" + e.getProgress().getStep()))
        .contains("image:1", "image:8", "realign:4");
    assertThat(events.stream().filter(RunEvent::hasProgress).allMatch(e -> e.getProgress().getEtaSeconds() >= 0)).isTrue();
    assertThat(events.stream().filter(RunEvent::hasValidation).map(e -> e.getValidation().getStage() + ":"
        + e.getValidation().getStep())).contains("image:0", "image:2", "image:8", "realign:0", "realign:4");
    assertThat(events.stream().filter(RunEvent::hasRun).map(e -> e.getRun().getStage())).contains("image", "realign", "evaluate");

    Run stored = runs.getRun(GetRunRequest.newBuilder().setId(started.getId()).build());
    assertThat(stored.getHistoryList()).anySatisfy(p -> {
      assertThat(p.getStage()).isEqualTo("image");
      assertThat(p.getStep()).isZero();
      assertThat(p.getBest()).isTrue();
      assertThat(p.getKpisMap()).containsKeys("i2i_map", "i2i_r1");
    });
    assertThat(stored.getStageSecondsMap()).containsKeys("prepare", "image", "realign", "package", "evaluate");
    var evaluation = EvaluationServiceGrpc.newBlockingStub(channel);
    assertThat(evaluation.getReport(GetReportRequest.newBuilder().setId(stored.getBaseReportId()).build()).getModel())
        .isEqualTo("tiny-clip/1");
    assertThat(evaluation.getReport(GetReportRequest.newBuilder().setId(stored.getTunedReportId()).build()).getModel())
        .isEqualTo("tiny-clip/ft-grpc");
    assertThat(runs.listRuns(ListRunsRequest.getDefaultInstance()).getRunsList())
        .anySatisfy(r -> assertThat(r.getId()).isEqualTo(started.getId()));
    // the result is registered with its lineage; the evaluations' runtimes were scoped to them (not loaded now)
    var registry = dev.kagami.api.v1.ModelServiceGrpc.newBlockingStub(channel);
    var registered = registry.getModel(dev.kagami.api.v1.GetModelRequest.newBuilder()
        .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("ft-grpc")).build());
    assertThat(registered.getOrigin()).isEqualTo(dev.kagami.api.v1.ModelOrigin.MODEL_ORIGIN_TRAINED);
    assertThat(registered.getRunId()).isEqualTo(started.getId());
    assertThat(registered.getBase().getVersion()).isEqualTo("1");
    assertThat(registered.getMethod()).isEqualTo("MCIP_REA");
    assertThat(registered.getDataset()).isEqualTo("patterns");
    assertThat(registered.hasParity()).isTrue();
    assertThat(registered.getParity()).isGreaterThan(0.999);
    assertThat(registered.getLoaded()).isFalse();
    assertThat(registered.getReportIdsList()).contains(stored.getTunedReportId());
    // loaded explicitly, the new version serves embeddings
    assertThat(registry.loadModel(dev.kagami.api.v1.LoadModelRequest.newBuilder()
        .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("ft-grpc")).build()).getLoadedList())
        .contains("tiny-clip/ft-grpc");
    var emb = EmbeddingServiceGrpc.newBlockingStub(channel).embed(EmbedRequest.newBuilder()
        .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("ft-grpc"))
        .addInputs(EmbedInput.newBuilder().setText("horizontal stripes")).build());
    assertThat(emb.getEmbeddings(0).getValuesCount()).isEqualTo(32);
    assertThat(emb.getModel().getVersion()).isEqualTo("ft-grpc");
    // the run is a job too: listed with the others, its result naming the new version
    var jobs = dev.kagami.api.v1.JobServiceGrpc.newBlockingStub(channel);
    dev.kagami.api.v1.Job job = null;
    for (int i = 0; i < 100; i++) {
      job = jobs.getJob(dev.kagami.api.v1.GetJobRequest.newBuilder().setId(started.getId()).build());
      if (job.getState() == dev.kagami.api.v1.JobState.JOB_STATE_SUCCEEDED) {
        break;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    assertThat(job.getKind()).isEqualTo(dev.kagami.api.v1.JobKind.JOB_KIND_FINETUNE);
    assertThat(job.getState()).isEqualTo(dev.kagami.api.v1.JobState.JOB_STATE_SUCCEEDED);
    assertThat(job.getResultJson()).contains("\"resultModel\":\"tiny-clip/ft-grpc\"").contains(stored.getTunedReportId());
    assertThat(job.getRequestJson()).contains("\"newVersion\":\"ft-grpc\"");
    // an ended run cannot be cancelled
    assertThat(GrpcTesting.code(() -> runs.cancelRun(CancelRunRequest.newBuilder().setId(started.getId()).build())))
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  @Test
  void a_cancelled_run_ends_cancelled() {
    Run started = runs.startRun(StartRunRequest.newBuilder()
        .setConfig(small().setMethod(FineTuneMethod.GPR_FT).setEpochs(200).setNewVersion("ft-cancel")).build());
    var watch = runs.withDeadlineAfter(300, TimeUnit.SECONDS).watchRun(WatchRunRequest.newBuilder().setId(started.getId()).build());
    Run end = null;
    boolean asked = false;
    while (watch.hasNext()) {
      RunEvent e = watch.next();
      if (e.hasProgress() && !asked) {
        // through the job service: a run is a job, and cancelling the job stops the run
        dev.kagami.api.v1.JobServiceGrpc.newBlockingStub(channel).cancelJob(dev.kagami.api.v1.CancelJobRequest.newBuilder()
            .setId(started.getId()).build());
        asked = true;
      }
      if (e.hasRun()) {
        end = e.getRun();
      }
    }
    assertThat(end.getState()).isEqualTo(RunState.CANCELLED);
    assertThat(end.getError()).contains("cancelled at step");
    assertThat(end.getStep()).isLessThan(end.getTotalSteps());
    assertThat(FineTuneProfile.REPOSITORY.resolve("tiny-clip/ft-cancel")).doesNotExist();
  }

  @Test
  void bad_requests_are_refused_with_the_reason() {
    assertThat(GrpcTesting.code(() -> runs.startRun(StartRunRequest.newBuilder().setConfig(small().setDataset("nope")).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> runs.startRun(StartRunRequest.newBuilder().setConfig(small().setEpochs(-1)).build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> runs.startRun(StartRunRequest.newBuilder().setConfig(small().setNewVersion("1")).build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> runs.startRun(StartRunRequest.newBuilder()
        .setConfig(small().setBaseModel(ModelRef.newBuilder().setName("no-such-model").setVersion("1"))).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> runs.getRun(GetRunRequest.newBuilder().setId("no-such-run").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> runs.startRun(StartRunRequest.newBuilder().setConfig(small().setPatience(-2)).build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThatThrownBy(() -> runs.startRun(StartRunRequest.newBuilder().setConfig(small()
        .setTrainable(dev.kagami.api.v1.TrainableParameters.LAST_BLOCKS).setLastBlocks(99)).build()))
        .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("last_blocks is 99").contains("transformer blocks");
        });
    try {
      runs.startRun(StartRunRequest.newBuilder().setConfig(small().setBatchSize(1)).build());
    } catch (io.grpc.StatusRuntimeException e) {
      assertThat(e.getStatus().getDescription()).contains("batch size must be 2..4096, is 1");
      return;
    }
    throw new AssertionError("expected INVALID_ARGUMENT");
  }
}
