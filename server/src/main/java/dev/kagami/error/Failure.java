package dev.kagami.error;

import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jboss.logging.Logger;

/**
 * A failure as a caller sees it: its kind (which gives the gRPC and HTTP status) and a message written for
 * the caller. Made once per failure by {@link #of}; a failure that is not one of Kagami's exceptions becomes
 * INTERNAL with a request id, and is logged with its stack trace under that id (the trace never leaves the
 * server). Jobs keep their failure in this form.
 */
public record Failure(ErrorKind kind, String message) {

  private static final Logger LOG = Logger.getLogger(Failure.class);

  public Failure {
    if (kind == null || message == null) {
      throw new IllegalArgumentException("a failure needs a kind and a message");
    }
  }

  public static Failure of(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof KagamiException k) {
      return new Failure(ErrorKind.of(k), k.getMessage());
    }
    if (e instanceof CancellationException) {
      return new Failure(ErrorKind.CANCELLED, e.getMessage() == null ? "cancelled" : e.getMessage());
    }
    String id = UUID.randomUUID().toString();
    LOG.errorf(e, "Internal error, request id %s", id);
    return new Failure(ErrorKind.INTERNAL, "internal error; request id " + id);
  }

  /** The exception behind wrappers of asynchronous execution. */
  public static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
