package dev.kagami.api.grpc;

import dev.kagami.error.KagamiException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jboss.logging.Logger;

/**
 * The one place where Kagami's exceptions become gRPC statuses. Known failures keep their message;
 * anything else becomes INTERNAL with a request id that is also in the server log (with the stack trace,
 * which never goes to the caller).
 */
public final class GrpcErrors {

  private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  public static StatusRuntimeException toStatus(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (e instanceof CancellationException) {
      return Status.CANCELLED.withDescription("cancelled").asRuntimeException();
    }
    if (e instanceof KagamiException k) {
      return statusOf(k).withDescription(k.getMessage()).asRuntimeException();
    }
    String id = UUID.randomUUID().toString();
    LOG.errorf(e, "Internal error, request id %s", id);
    return Status.INTERNAL.withDescription("internal error; request id " + id).asRuntimeException();
  }

  static Status statusOf(KagamiException k) {
    if (k instanceof KagamiException.InvalidInput) {
      return Status.INVALID_ARGUMENT;
    } else if (k instanceof KagamiException.Overloaded) {
      return Status.RESOURCE_EXHAUSTED;
    } else if (k instanceof KagamiException.DeadlineExceeded) {
      return Status.DEADLINE_EXCEEDED;
    } else if (k instanceof KagamiException.Cancelled) {
      return Status.CANCELLED;
    } else if (k instanceof KagamiException.ModelUnavailable || k instanceof KagamiException.BackendUnavailable
        || k instanceof KagamiException.ShuttingDown) {
      return Status.UNAVAILABLE;
    } else if (k instanceof KagamiException.NotFound) {
      return Status.NOT_FOUND;
    } else if (k instanceof KagamiException.PermissionDenied) {
      return Status.PERMISSION_DENIED;
    } else if (k instanceof KagamiException.FailedPrecondition || k instanceof KagamiException.InvalidModelPackage) {
      return Status.FAILED_PRECONDITION;
    }
    return Status.INTERNAL;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
