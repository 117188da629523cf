package dev.kagami.api.grpc;

import dev.kagami.error.ErrorKind;
import dev.kagami.error.Failure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Where failures become gRPC statuses: the status code comes from {@link ErrorKind}'s table, the message
 * from {@link Failure#of} (which gives unexpected failures a request id and logs them).
 */
public final class GrpcErrors {

  private GrpcErrors() {}

  public static StatusRuntimeException toStatus(Throwable t) {
    Throwable e = Failure.unwrap(t);
    if (e instanceof StatusRuntimeException sre) {
      return sre;
    }
    return toStatus(Failure.of(e));
  }

  public static StatusRuntimeException toStatus(Failure f) {
    return status(f.kind()).withDescription(f.message()).asRuntimeException();
  }

  static Status status(ErrorKind kind) {
    return Status.fromCode(Status.Code.valueOf(kind.grpcCode()));
  }
}
