package dev.kagami.api.grpc;

import dev.kagami.api.v1.DeleteModelRequest;
import dev.kagami.api.v1.DeleteModelResponse;
import dev.kagami.api.v1.GateRules;
import dev.kagami.api.v1.GateVerdict;
import dev.kagami.api.v1.GetGateRulesRequest;
import dev.kagami.api.v1.GetModelRequest;
import dev.kagami.api.v1.ImportModelRequest;
import dev.kagami.api.v1.ListAliasEventsRequest;
import dev.kagami.api.v1.ListAliasEventsResponse;
import dev.kagami.api.v1.ListAliasesRequest;
import dev.kagami.api.v1.ListAliasesResponse;
import dev.kagami.api.v1.ListModelsRequest;
import dev.kagami.api.v1.ListModelsResponse;
import dev.kagami.api.v1.LoadModelRequest;
import dev.kagami.api.v1.LoadModelResponse;
import dev.kagami.api.v1.ModelServiceGrpc;
import dev.kagami.api.v1.ModelVersion;
import dev.kagami.api.v1.PromoteRequest;
import dev.kagami.api.v1.PromoteResponse;
import dev.kagami.api.v1.RollbackRequest;
import dev.kagami.api.v1.SetGateRulesRequest;
import dev.kagami.api.v1.UnloadModelRequest;
import dev.kagami.app.ModelService;
import dev.kagami.app.PromotionService;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/** kagami.v1.ModelService: the model registry, its aliases, the promotion gate and the audit log. */
@GrpcService
public class ModelGrpcService implements ModelServiceGrpc.AsyncService, io.grpc.BindableService {

  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(ModelServiceGrpc.bindService(this));
  }

  private final ModelService models;
  private final PromotionService promotion;
  private final dev.kagami.app.ModelArchives archives;

  public ModelGrpcService(ModelService models, PromotionService promotion, dev.kagami.app.ModelArchives archives) {
    this.models = models;
    this.promotion = promotion;
    this.archives = archives;
  }

  /** Chunks of the archive as they are written; sends wait while the client's flow-control window is full. */
  @Override
  @Blocking // reads the package files
  public void exportModel(dev.kagami.api.v1.ExportModelRequest req,
      StreamObserver<dev.kagami.api.v1.ModelArchiveChunk> out) {
    io.grpc.stub.ServerCallStreamObserver<dev.kagami.api.v1.ModelArchiveChunk> call =
        (io.grpc.stub.ServerCallStreamObserver<dev.kagami.api.v1.ModelArchiveChunk>) out;
    try {
      dev.kagami.model.ModelId id = ModelMapping.required(req.getModel());
      java.io.OutputStream chunks = new java.io.BufferedOutputStream(new java.io.OutputStream() {
        @Override
        public void write(int b) {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          while (!call.isReady()) {
            if (call.isCancelled()) {
              throw new dev.kagami.error.KagamiException.Cancelled("the caller cancelled the export");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
          }
          call.onNext(dev.kagami.api.v1.ModelArchiveChunk.newBuilder()
              .setData(com.google.protobuf.ByteString.copyFrom(b, off, len)).build());
        }
      }, 1 << 20);
      archives.export(id, chunks);
      chunks.flush();
      call.onCompleted();
    } catch (RuntimeException | java.io.IOException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  /** The archive as the client streams it; see {@link ModelUploadSession}. */
  @Override
  public StreamObserver<dev.kagami.api.v1.ModelUploadChunk> uploadModel(StreamObserver<ModelVersion> out) {
    return new ModelUploadSession(archives.beginUpload(), (io.grpc.stub.ServerCallStreamObserver<ModelVersion>) out);
  }

  @Override
  @Blocking
  public void listModels(ListModelsRequest req, StreamObserver<ListModelsResponse> out) {
    Replies.now(out, () -> ListModelsResponse.newBuilder().addAllModels(models.list().stream().map(ModelMapping::version).toList())
        .build());
  }

  @Override
  @Blocking
  public void getModel(GetModelRequest req, StreamObserver<ModelVersion> out) {
    Replies.now(out, () -> ModelMapping.version(models.get(ModelMapping.required(req.getModel()))));
  }

  @Override
  @Blocking // copies files and may run a parity check
  public void importModel(ImportModelRequest req, StreamObserver<ModelVersion> out) {
    Replies.now(out, () -> ModelMapping.version(models.get(models.importModel(req.getPath(), AuthInterceptor.actor(req.getActor())).id())));
  }

  @Override
  @Blocking // loads an engine
  public void loadModel(LoadModelRequest req, StreamObserver<LoadModelResponse> out) {
    Replies.now(out, () -> LoadModelResponse.newBuilder().addAllLoaded(models.load(ModelMapping.required(req.getModel()))).build());
  }

  @Override
  @Blocking
  public void unloadModel(UnloadModelRequest req, StreamObserver<LoadModelResponse> out) {
    Replies.now(out, () -> LoadModelResponse.newBuilder().addAllLoaded(models.unload(ModelMapping.required(req.getModel())))
        .build());
  }

  @Override
  @Blocking
  public void deleteModel(DeleteModelRequest req, StreamObserver<DeleteModelResponse> out) {
    Replies.now(out, () -> {
      models.delete(ModelMapping.required(req.getModel()));
      return DeleteModelResponse.getDefaultInstance();
    });
  }

  @Override
  @Blocking
  public void listAliases(ListAliasesRequest req, StreamObserver<ListAliasesResponse> out) {
    Replies.now(out, () -> ListAliasesResponse.newBuilder().addAllAliases(models.aliases().stream()
        .map(a -> ModelMapping.alias(a.alias(), a.servingHere())).toList()).build());
  }

  @Override
  @Blocking // may evaluate both versions
  public void checkGate(PromoteRequest req, StreamObserver<GateVerdict> out) {
    Replies.now(out, () -> ModelMapping.verdict(promotion.check(ModelMapping.command(req))));
  }

  @Override
  @Blocking // may evaluate, then loads and warms the new version
  public void promote(PromoteRequest req, StreamObserver<PromoteResponse> out) {
    Replies.now(out, () -> {
      PromotionService.Move m = promotion.promote(ModelMapping.command(req));
      return ModelMapping.move(m, m.alias().target().toString());
    });
  }

  @Override
  @Blocking
  public void rollback(RollbackRequest req, StreamObserver<PromoteResponse> out) {
    Replies.now(out, () -> {
      PromotionService.Move m = promotion.rollback(req.getAlias(), req.getReason(), AuthInterceptor.actor(req.getActor()));
      return ModelMapping.move(m, m.alias().target().toString());
    });
  }

  @Override
  @Blocking
  public void listAliasEvents(ListAliasEventsRequest req, StreamObserver<ListAliasEventsResponse> out) {
    Replies.now(out, () -> ListAliasEventsResponse.newBuilder().addAllEvents(models.events(req.getAlias(), req.getLimit())
        .stream().map(ModelMapping::event).toList()).build());
  }

  @Override
  @Blocking
  public void getGateRules(GetGateRulesRequest req, StreamObserver<GateRules> out) {
    Replies.now(out, () -> ModelMapping.rules(models.gateRules(req.getAlias())));
  }

  @Override
  @Blocking
  public void setGateRules(SetGateRulesRequest req, StreamObserver<GateRules> out) {
    Replies.now(out, () -> {
      if (!req.hasRules()) {
        throw new dev.kagami.error.KagamiException.InvalidInput("rules are required");
      }
      return ModelMapping.rules(models.setGateRules(req.getAlias(), ModelMapping.rules(req.getRules())));
    });
  }
}
