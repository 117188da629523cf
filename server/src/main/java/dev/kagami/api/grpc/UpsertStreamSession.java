package dev.kagami.api.grpc;

import dev.kagami.api.v1.UpsertRequest;
import dev.kagami.api.v1.UpsertResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One UpsertStream call: each message is an Upsert, acknowledged (durable) before the next one is read, so
 * flow control reaches the client. The first message that fails ends the call with its status; the
 * messages before it stay written. The answer counts every item written.
 */
final class UpsertStreamSession implements StreamObserver<UpsertRequest> {

  private final Function<UpsertRequest, CompletableFuture<UpsertResponse>> upsert;
  private final ServerCallStreamObserver<UpsertResponse> call;
  private int total;
  private int messages;
  private int pending;
  private boolean halfClosed;
  private boolean finished;

  UpsertStreamSession(Function<UpsertRequest, CompletableFuture<UpsertResponse>> upsert,
      ServerCallStreamObserver<UpsertResponse> call) {
    this.upsert = upsert;
    this.call = call;
    call.disableAutoRequest();
    call.request(1);
  }

  @Override
  public void onNext(UpsertRequest req) {
    int index;
    synchronized (this) {
      pending++;
      index = messages++;
    }
    CompletableFuture<UpsertResponse> f;
    try {
      f = upsert.apply(req);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((r, e) -> {
      synchronized (this) {
        pending--;
        if (finished) {
          return;
        }
        if (e != null) {
          finished = true;
          io.grpc.StatusRuntimeException s = GrpcErrors.toStatus(e);
          call.onError(s.getStatus().withDescription("message " + index + " of the stream (" + total
              + " items written before it): " + s.getStatus().getDescription()).asRuntimeException());
          return;
        }
        total += r.getUpserted();
        if (halfClosed && pending == 0) {
          finish();
          return;
        }
      }
      call.request(1); // read the next message only once this one is durable
    });
  }

  private void finish() {
    finished = true;
    call.onNext(UpsertResponse.newBuilder().setUpserted(total).build());
    call.onCompleted();
  }

  @Override
  public synchronized void onError(Throwable t) {
    finished = true; // the client went away; what was acknowledged so far stays
  }

  @Override
  public synchronized void onCompleted() {
    halfClosed = true;
    if (pending == 0 && !finished) {
      finish();
    }
  }
}
