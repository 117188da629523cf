package dev.kagami.api.grpc;

import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.embedding.EmbedResult;
import dev.kagami.embedding.Embedder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.util.concurrent.CompletableFuture;

/**
 * kagami.v1.EmbeddingService. Handlers only parse, hand off and answer: decoding and inference run on
 * Kagami's own bounded pools, never on the gRPC event loop. Cancelling a call withdraws its queued
 * inputs.
 */
@GrpcService
public class EmbeddingGrpcService implements EmbeddingServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(EmbeddingServiceGrpc.bindService(this));
  }

  private final Embedder embedder;
  private final int streamWindow;

  public EmbeddingGrpcService(Embedder embedder, dev.kagami.config.KagamiConfig config) {
    this.embedder = embedder;
    this.streamWindow = config.serving().streamWindow();
  }

  @Override
  public void embed(EmbedRequest request, StreamObserver<EmbedResponse> responses) {
    ServerCallStreamObserver<EmbedResponse> call = (ServerCallStreamObserver<EmbedResponse>) responses;
    CompletableFuture<EmbedResult> f;
    try {
      f = start(request);
    } catch (RuntimeException e) {
      responses.onError(GrpcErrors.toStatus(e));
      return;
    }
    call.setOnCancelHandler(() -> f.cancel(false));
    f.whenComplete((r, e) -> {
      if (call.isCancelled()) {
        return;
      }
      if (e != null) {
        responses.onError(GrpcErrors.toStatus(e));
      } else {
        responses.onNext(ProtoMapping.response(r, request.getRequestId()));
        responses.onCompleted();
      }
    });
  }

  CompletableFuture<EmbedResult> start(EmbedRequest request) {
    return embedder.embed(request.getModel().getName(), request.getModel().getVersion(), ProtoMapping.inputs(request),
        Deadlines.current());
  }

  @Override
  public StreamObserver<EmbedRequest> embedStream(StreamObserver<EmbedResponse> responses) {
    ServerCallStreamObserver<EmbedResponse> call = (ServerCallStreamObserver<EmbedResponse>) responses;
    EmbedStreamSession session = new EmbedStreamSession(call, this::start, streamWindow);
    session.begin();
    return session;
  }
}
