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

  private final RunManager runs;
  private final ModelRegistry models;
  private final ObjectMapper json = new ObjectMapper();

  public FineTuneGrpcService(RunManager runs, ModelRegistry models) {
    this.runs = runs;
    this.models = models;
  }

  @Override
  @Blocking // JDBC and package checks: a worker thread, never the event loop
  public void startRun(StartRunRequest req, StreamObserver<Run> out) {
    Replies.now(out, () -> {
      String id = RunManager.newId();
      return run(runs.start(id, spec(req.getConfig(), id)));
    });
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
      runs.list(req.getLimit() <= 0 ? 50 : req.getLimit()).forEach(r -> b.addRuns(run(r)));
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

  /** The request's configuration with every default filled in. */
  RunSpec spec(RunConfig c, String id) {
    String name = c.getBaseModel().getName();
    String version = c.getBaseModel().getVersion();
    if (name.isEmpty()) {
      ModelRuntime a = models.active();
      name = a.name();
      version = version.isEmpty() ? a.version() : version;
    } else if (version.isEmpty()) {
      throw new InvalidInput("base_model.version is required with base_model.name");
    }
    RunSpec.Method method = switch (c.getMethod()) {
      case FINE_TUNE_METHOD_UNSPECIFIED, MCIP -> RunSpec.Method.MCIP;
      case GPR_FT -> RunSpec.Method.GPR_FT;
      case TWO_SFT -> RunSpec.Method.TWO_SFT;
      case MCIP_REALIGN -> RunSpec.Method.MCIP_REA;
      default -> throw new InvalidInput("unknown method " + c.getMethod());
    };
    RunSpec.Trainable trainable = switch (c.getTrainable()) {
      case TRAINABLE_PARAMETERS_UNSPECIFIED, LAST_BLOCKS -> RunSpec.Trainable.LAST_BLOCKS;
      case PROJECTION -> RunSpec.Trainable.PROJECTION;
      case ALL -> RunSpec.Trainable.ALL;
      default -> throw new InvalidInput("unknown trainable parameters " + c.getTrainable());
    };
    RunSpec.CaptionSource captions = switch (c.getCaptions()) {
      case CAPTION_SOURCE_UNSPECIFIED, DATASET_CAPTIONS -> RunSpec.CaptionSource.DATASET;
      case LABEL_TEMPLATES -> RunSpec.CaptionSource.LABEL_TEMPLATES;
      case MINED -> RunSpec.CaptionSource.MINED;
      default -> throw new InvalidInput("unknown caption source " + c.getCaptions());
    };
    if (c.getCaptions() == CaptionSource.CAPTION_SOURCE_UNSPECIFIED) {
      captions = null; // decided below, once the dataset is known
    }
    if (c.getPatience() < -1) {
      throw new InvalidInput("patience must be -1 (never stop early), 0 (the default, 3) or positive; is " + c.getPatience());
    }
    int patience = c.getPatience() == 0 ? 3 : c.getPatience() < 0 ? 0 : c.getPatience();
    RunSpec s = new RunSpec(name, version, c.getDataset(), method, trainable, c.getLastBlocks() == 0 ? 2 : c.getLastBlocks(),
        or(c.getEpochs(), 3), or(c.getBatchSize(), 32), c.getLearningRate() == 0 ? 1e-4 : c.getLearningRate(),
        or(c.getRealignEpochs(), 3), c.getRealignLearningRate() == 0 ? 1e-5 : c.getRealignLearningRate(),
        c.getSeed() == 0 ? 42 : c.getSeed(), c.getValidateEvery(), patience,
        captions == null ? RunSpec.CaptionSource.DATASET : captions, or(c.getMinedTopK(), 20),
        c.getMinedThreshold() == 0 ? 0.27 : c.getMinedThreshold(), c.getMaxTrainImages(),
        c.getNewVersion().isEmpty() ? "ft-" + id.substring(0, 8) : c.getNewVersion());
    return captions == null ? runs.defaultCaptions(s) : s;
  }

  private static int or(int v, int def) {
    return v == 0 ? def : v;
  }

  Run run(StoredRun r) {
    Run.Builder b = Run.newBuilder().setId(r.id()).setState(RunState.valueOf(r.state())).setStage(r.stage()).setStep(r.step())
        .setTotalSteps(r.totalSteps()).setCreatedAt(ts(r.createdAt())).setUpdatedAt(ts(r.updatedAt()))
        .putAllStageSeconds(r.timings());
    try {
      b.setConfig(config(json.readValue(r.config(), RunSpec.class)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("run " + r.id() + " has an unreadable configuration", e);
    }
    if (r.resultModel() != null) {
      int slash = r.resultModel().indexOf('/');
      b.setResultModel(ModelRef.newBuilder().setName(r.resultModel().substring(0, slash))
          .setVersion(r.resultModel().substring(slash + 1)));
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
        .setTrainable(switch (s.trainable()) {
          case PROJECTION -> TrainableParameters.PROJECTION;
          case LAST_BLOCKS -> TrainableParameters.LAST_BLOCKS;
          case ALL -> TrainableParameters.ALL;
        })
        .setLastBlocks(s.lastBlocks()).setEpochs(s.epochs()).setBatchSize(s.batchSize()).setLearningRate(s.learningRate())
        .setRealignEpochs(s.realignEpochs()).setRealignLearningRate(s.realignLearningRate()).setSeed(s.seed())
        .setValidateEvery(s.validateEvery()).setPatience(s.patience() == 0 ? -1 : s.patience())
        .setCaptions(switch (s.captions()) {
          case DATASET -> CaptionSource.DATASET_CAPTIONS;
          case LABEL_TEMPLATES -> CaptionSource.LABEL_TEMPLATES;
          case MINED -> CaptionSource.MINED;
        })
        .setMinedTopK(s.minedTopK()).setMinedThreshold(s.minedThreshold()).setMaxTrainImages(s.maxTrainImages())
        .setNewVersion(s.newVersion()).build();
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
