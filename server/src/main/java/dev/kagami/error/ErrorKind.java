package dev.kagami.error;

/**
 * The one table from failures to API statuses: each kind names its gRPC status code and its HTTP status.
 * {@code api.grpc.GrpcErrors} and {@code api.rest.ErrorMapper} both read it, so the two APIs never disagree.
 */
public enum ErrorKind {
  INVALID_ARGUMENT("INVALID_ARGUMENT", 400),
  NOT_FOUND("NOT_FOUND", 404),
  FAILED_PRECONDITION("FAILED_PRECONDITION", 409),
  INVALID_MODEL_PACKAGE("FAILED_PRECONDITION", 422),
  UNAUTHENTICATED("UNAUTHENTICATED", 401),
  PERMISSION_DENIED("PERMISSION_DENIED", 403),
  RESOURCE_EXHAUSTED("RESOURCE_EXHAUSTED", 429),
  CANCELLED("CANCELLED", 499),
  DEADLINE_EXCEEDED("DEADLINE_EXCEEDED", 504),
  UNAVAILABLE("UNAVAILABLE", 503),
  INTERNAL("INTERNAL", 500);

  private final String grpcCode;
  private final int httpStatus;

  ErrorKind(String grpcCode, int httpStatus) {
    this.grpcCode = grpcCode;
    this.httpStatus = httpStatus;
  }

  /** The name of the gRPC status code ({@code io.grpc.Status.Code}). */
  public String grpcCode() {
    return grpcCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The kind of one of Kagami's exceptions. */
  public static ErrorKind of(KagamiException e) {
    if (e instanceof KagamiException.InvalidInput) {
      return INVALID_ARGUMENT;
    } else if (e instanceof KagamiException.NotFound) {
      return NOT_FOUND;
    } else if (e instanceof KagamiException.FailedPrecondition) {
      return FAILED_PRECONDITION;
    } else if (e instanceof KagamiException.InvalidModelPackage) {
      return INVALID_MODEL_PACKAGE;
    } else if (e instanceof KagamiException.Unauthenticated) {
      return UNAUTHENTICATED;
    } else if (e instanceof KagamiException.PermissionDenied) {
      return PERMISSION_DENIED;
    } else if (e instanceof KagamiException.Overloaded) {
      return RESOURCE_EXHAUSTED;
    } else if (e instanceof KagamiException.Cancelled) {
      return CANCELLED;
    } else if (e instanceof KagamiException.DeadlineExceeded) {
      return DEADLINE_EXCEEDED;
    } else if (e instanceof KagamiException.ModelUnavailable || e instanceof KagamiException.BackendUnavailable
        || e instanceof KagamiException.ShuttingDown || e instanceof KagamiException.Suspended) {
      return UNAVAILABLE;
    }
    return INTERNAL;
  }
}
