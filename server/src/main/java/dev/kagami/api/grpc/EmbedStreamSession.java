package dev.kagami.api.grpc;

import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.embedding.EmbedResult;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One EmbedStream call. Flow control: the server asks the client for at most {@code window} request
 * messages beyond those answered, and asks for the next one only after a response was sent and the
 * transport was ready for it, so a slow reader slows the writer instead of filling memory. Responses go
 * out in request order. The first failure ends the stream with its status and cancels what is in flight.
 */
final class EmbedStreamSession implements StreamObserver<EmbedRequest> {

  private record Pending(String requestId, CompletableFuture<EmbedResult> result) {}

  private final ServerCallStreamObserver<EmbedResponse> call;
  private final Function<EmbedRequest, CompletableFuture<EmbedResult>> start;
  private final int window;
  private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
  private boolean clientDone;
  private boolean finished;

  EmbedStreamSession(ServerCallStreamObserver<EmbedResponse> call,
      Function<EmbedRequest, CompletableFuture<EmbedResult>> start, int window) {
    this.call = call;
    this.start = start;
    this.window = Math.max(1, window);
  }

  void begin() {
    call.disableAutoRequest();
    call.setOnReadyHandler(this::drain);
    call.setOnCancelHandler(this::cancelAll);
    call.request(window);
  }

  @Override
  public void onNext(EmbedRequest req) {
    CompletableFuture<EmbedResult> f;
    try {
      f = start.apply(req);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    synchronized (this) {
      if (finished) {
        f.cancel(false);
        return;
      }
      inFlight.add(new Pending(req.getRequestId(), f));
    }
    f.whenComplete((r, e) -> drain());
  }

  @Override
  public void onError(Throwable t) {
    cancelAll();
  }

  @Override
  public void onCompleted() {
    synchronized (this) {
      clientDone = true;
    }
    drain();
  }

  private synchronized void drain() {
    while (!finished) {
      Pending head = inFlight.peek();
      if (head == null) {
        if (clientDone) {
          finished = true;
          call.onCompleted();
        }
        return;
      }
      if (!head.result().isDone() || !call.isReady()) {
        return; // resumed by the head's completion or by onReady
      }
      inFlight.poll();
      EmbedResult r;
      try {
        r = head.result().join();
      } catch (RuntimeException e) {
        finished = true;
        inFlight.forEach(p -> p.result().cancel(false));
        inFlight.clear();
        String id = head.requestId().isEmpty() ? "" : " (request_id " + head.requestId() + ")";
        io.grpc.StatusRuntimeException s = GrpcErrors.toStatus(e);
        call.onError(s.getStatus().withDescription(s.getStatus().getDescription() + id).asRuntimeException());
        return;
      }
      call.onNext(ProtoMapping.response(r, head.requestId()));
      if (!clientDone) {
        call.request(1);
      }
    }
  }

  private synchronized void cancelAll() {
    finished = true;
    inFlight.forEach(p -> p.result().cancel(false));
    inFlight.clear();
  }
}
