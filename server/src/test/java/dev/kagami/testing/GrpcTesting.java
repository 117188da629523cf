package dev.kagami.testing;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Helpers for tests that make real gRPC calls. */
public final class GrpcTesting {

  private GrpcTesting() {}

  /**
   * The port the test server's gRPC listens on: tests bind a free port ({@code quarkus.grpc.server.test-port=0}),
   * and Quarkus puts the one it got into the same property once the server is up.
   */
  public static int port() {
    int port = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
    if (port <= 0) {
      throw new IllegalStateException("the gRPC test server has not started yet");
    }
    return port;
  }

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
