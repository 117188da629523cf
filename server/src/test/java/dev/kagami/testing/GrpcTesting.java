package dev.kagami.testing;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

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
}
