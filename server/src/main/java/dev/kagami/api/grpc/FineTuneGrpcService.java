package dev.kagami.api.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;
import dev.kagami.api.v1.CancelRunRequest;
import dev.kagami.api.v1.CaptionSource;
import dev.kagami.api.v1.FineTuneMethod;
import dev.kagami.api.v1.FineTuneServiceGrpc;
import dev.kagami.api.v1.GetRunRequest;
import dev.kagami.api.v1.ListRunsRequest;
import dev.kagami.api.v1.ListRunsResponse;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.Run;
import dev.kagami.api.v1.RunConfig;
import dev.kagami.api.v1.RunEvent;
import dev.kagami.api.v1.RunPoint;
import dev.kagami.api.v1.RunProgress;
import dev.kagami.api.v1.RunState;
import dev.kagami.api.v1.StartRunRequest;
import dev.kagami.api.v1.TrainableParameters;
import dev.kagami.api.v1.WatchRunRequest;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.persistence.StoredRun;
import dev.kagami.training.RunManager;
import dev.kagami.training.RunSpec;
import dev.kagami.app.FineTuneService;
import dev.kagami.app.StartRunCommand;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.time.Instant;

/** kagami.v1.FineTuneService: fine-tuning runs (see {@link RunManager}). */
@GrpcService
public class FineTuneGrpcService implements FineTuneServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(FineTuneServiceGrpc.bindService(this));
  }

  private final FineTuneService runs;
  private final ObjectMapper json = new ObjectMapper();

  public FineTuneGrpcService(FineTuneService runs) {
    this.runs = runs;
  }

  @Override
  @Blocking // JDBC and package checks: a worker thread, never the event loop
  public void startRun(StartRunRequest req, StreamObserver<Run> out) {
    Replies.now(out, () -> run(runs.start(command(req.getConfig()))));
  }

  @Override
  @Blocking
  public void getRun(GetRunRequest req, StreamObserver<Run> out) {
    Replies.now(out, () -> run(runs.get(req.getId())));
  }

  @Override
  @Blocking
  public void listRuns(ListRunsRequest req, StreamObserver<ListRunsResponse> out) {
    Replies.now(out, () -> {
      ListRunsResponse.Builder b = ListRunsResponse.newBuilder();
      runs.list(Math.max(0, req.getLimit())).forEach(r -> b.addRuns(run(r)));
      return b.build();
    });
  }

  @Override
  @Blocking
  public void cancelRun(CancelRunRequest req, StreamObserver<Run> out) {
    Replies.now(out, () -> run(runs.cancel(req.getId())));
  }

  @Override
  @Blocking
  public void watchRun(WatchRunRequest req, StreamObserver<RunEvent> out) {
    ServerCallStreamObserver<RunEvent> call = (ServerCallStreamObserver<RunEvent>) out;
    try {
      Runnable stop = runs.watch(req.getId(), u -> {
        if (call.isCancelled()) {
          throw new IllegalStateException("the watcher left"); // unsubscribes this watcher
        }
        synchronized (call) {
          if (u instanceof RunManager.Update.Snapshot s) {
            call.onNext(RunEvent.newBuilder().setRun(run(s.run())).build());
            if (RunManager.isEnded(s.run().state())) {
              call.onCompleted();
            }
          } else if (u instanceof RunManager.Update.Progress p) {
            call.onNext(RunEvent.newBuilder().setProgress(RunProgress.newBuilder().setStage(p.stage()).setStep(p.step().step())
                .setTotalSteps(p.step().totalSteps()).setLoss(p.step().loss()).setLearningRate(p.step().learningRate())
                .setEtaSeconds(p.etaSeconds())).build());
          } else if (u instanceof RunManager.Update.Validation v) {
            call.onNext(RunEvent.newBuilder().setValidation(point(v.point())).build());
          }
        }
      });
      call.setOnCancelHandler(stop);
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  /** Proto's zero values and UNSPECIFIED enums mean "not given": the application layer fills in its defaults. */
  static StartRunCommand command(RunConfig c) {
    RunSpec.Method method = switch (c.getMethod()) {
      case FINE_TUNE_METHOD_UNSPECIFIED -> null;
      case MCIP -> RunSpec.Method.MCIP;
      case GPR_FT -> RunSpec.Method.GPR_FT;
      case TWO_SFT -> RunSpec.Method.TWO_SFT;
      case MCIP_REALIGN -> RunSpec.Method.MCIP_REA;
      default -> throw new InvalidInput("unknown method " + c.getMethodValue());
    };
    RunSpec.Trainable trainable = trainable(c.getTrainable(), c.getTrainableValue());
    RunSpec.Trainable realignTrainable = trainable(c.getRealignTrainable(), c.getRealignTrainableValue());
    RunSpec.CaptionSource captions = switch (c.getCaptions()) {
      case CAPTION_SOURCE_UNSPECIFIED -> null;
      case DATASET_CAPTIONS -> RunSpec.CaptionSource.DATASET;
      case LABEL_TEMPLATES -> RunSpec.CaptionSource.LABEL_TEMPLATES;
      case MINED -> RunSpec.CaptionSource.MINED;
      default -> throw new InvalidInput("unknown caption source " + c.getCaptionsValue());
    };
    return new StartRunCommand(ProtoMapping.modelId(c.getBaseModel()), c.getDataset(), method, trainable,
        c.getLastBlocks(), c.getEpochs(), c.getBatchSize(), c.getLearningRate(), c.getRealignEpochs(),
        c.getRealignLearningRate(), c.getSeed(), c.getValidateEvery(), c.getPatience(), captions, c.getMinedTopK(),
        c.getMinedThreshold(), c.getMaxTrainImages(), c.getNewVersion(), c.getProxyLearningRate(), realignTrainable,
        c.getRealignLastBlocks(), c.getRealignWarmupSteps(), c.getRealignTrainEmbeddings());
  }

  private static RunSpec.Trainable trainable(TrainableParameters t, int value) {
    return switch (t) {
      case TRAINABLE_PARAMETERS_UNSPECIFIED -> null;
      case LAST_BLOCKS -> RunSpec.Trainable.LAST_BLOCKS;
      case PROJECTION -> RunSpec.Trainable.PROJECTION;
      case ALL -> RunSpec.Trainable.ALL;
      default -> throw new InvalidInput("unknown trainable parameters " + value);
    };
  }

  private static TrainableParameters trainable(RunSpec.Trainable t) {
    return switch (t) {
      case PROJECTION -> TrainableParameters.PROJECTION;
      case LAST_BLOCKS -> TrainableParameters.LAST_BLOCKS;
      case ALL -> TrainableParameters.ALL;
    };
  }

  Run run(StoredRun r) {
    Run.Builder b = Run.newBuilder().setId(r.id()).setState(RunState.valueOf(r.state().name())).setStage(r.stage()).setStep(r.step())
        .setTotalSteps(r.totalSteps()).setCreatedAt(ts(r.createdAt())).setUpdatedAt(ts(r.updatedAt()))
        .putAllStageSeconds(r.timings());
    try {
      b.setConfig(config(json.readValue(r.config(), RunSpec.class)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("run " + r.id() + " has an unreadable configuration", e);
    }
    dev.kagami.model.ModelId result = FineTuneService.resultModel(r);
    if (result != null) {
      b.setResultModel(ModelRef.newBuilder().setName(result.name()).setVersion(result.version()));
    }
    if (r.baseReportId() != null) {
      b.setBaseReportId(r.baseReportId());
    }
    if (r.tunedReportId() != null) {
      b.setTunedReportId(r.tunedReportId());
    }
    if (r.error() != null) {
      b.setError(r.error());
    }
    r.history().forEach(p -> b.addHistory(point(p)));
    return b.build();
  }

  private static RunConfig config(RunSpec s) {
    return RunConfig.newBuilder().setBaseModel(ModelRef.newBuilder().setName(s.baseName()).setVersion(s.baseVersion()))
        .setDataset(s.dataset())
        .setMethod(switch (s.method()) {
          case GPR_FT -> FineTuneMethod.GPR_FT;
          case TWO_SFT -> FineTuneMethod.TWO_SFT;
          case MCIP -> FineTuneMethod.MCIP;
          case MCIP_REA -> FineTuneMethod.MCIP_REALIGN;
        })
        .setTrainable(trainable(s.trainable()))
        .setLastBlocks(s.lastBlocks()).setEpochs(s.epochs()).setBatchSize(s.batchSize()).setLearningRate(s.learningRate())
        .setRealignEpochs(s.realignEpochs()).setRealignLearningRate(s.realignLearningRate()).setSeed(s.seed())
        .setValidateEvery(s.validateEvery()).setPatience(s.patience() == 0 ? -1 : s.patience())
        .setCaptions(switch (s.captions()) {
          case DATASET -> CaptionSource.DATASET_CAPTIONS;
          case LABEL_TEMPLATES -> CaptionSource.LABEL_TEMPLATES;
          case MINED -> CaptionSource.MINED;
        })
        .setMinedTopK(s.minedTopK()).setMinedThreshold(s.minedThreshold()).setMaxTrainImages(s.maxTrainImages())
        .setNewVersion(s.newVersion()).setProxyLearningRate(s.proxyLearningRate())
        .setRealignTrainable(trainable(s.realignTrainable())).setRealignLastBlocks(s.realignLastBlocks())
        .setRealignWarmupSteps(s.realignWarmupSteps()).setRealignTrainEmbeddings(s.realignTrainEmbeddings()).build();
  }

  private static RunPoint point(StoredRun.Point p) {
    RunPoint.Builder b = RunPoint.newBuilder().setAt(ts(p.at())).setStage(p.stage()).setStep(p.step()).putAllKpis(p.kpis())
        .setBest(p.best());
    if (p.loss() != null) {
      b.setLoss(p.loss());
    }
    return b.build();
  }

  private static Timestamp ts(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }
}
