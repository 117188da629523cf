package dev.kagami.api.grpc;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Answers a unary call from a value or a future; any failure becomes the mapped status (see {@link GrpcErrors}). */
final class Replies {

  private Replies() {}

  /** Computes the answer now (on the calling thread) and sends it. */
  static <T> void now(StreamObserver<T> out, Supplier<T> work) {
    T value;
    try {
      value = work.get();
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
      return;
    }
    out.onNext(value);
    out.onCompleted();
  }

  /** Starts the work and sends its answer when the future completes. */
  static <T> void later(StreamObserver<T> out, Supplier<CompletableFuture<T>> work) {
    CompletableFuture<T> f;
    try {
      f = work.get();
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
      return;
    }
    f.whenComplete((r, e) -> {
      if (e != null) {
        out.onError(GrpcErrors.toStatus(e));
      } else {
        out.onNext(r);
        out.onCompleted();
      }
    });
  }
}
