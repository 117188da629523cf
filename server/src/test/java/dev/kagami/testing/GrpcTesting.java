package dev.kagami.testing;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Helpers for tests that make real gRPC calls. */
public final class GrpcTesting {

  private GrpcTesting() {}

  /** The status code a call ends with (OK when it returns normally). */
  public static Status.Code code(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** The response observer of a call with one reply (unary or client streaming), as a future. */
  public static final class Reply<T> implements StreamObserver<T> {

    public final CompletableFuture<T> future = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
      future.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      future.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {}
  }
}
