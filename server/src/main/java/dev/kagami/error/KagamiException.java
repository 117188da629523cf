package dev.kagami.error;

/**
 * Root of Kagami's exception hierarchy. Every failure a caller can see is one of the subclasses here;
 * the API layers map them to gRPC status codes (and HTTP codes) in exactly one place each. Messages are
 * written for the caller: they say what was wrong and never include stack traces or internal paths.
 */
public abstract class KagamiException extends RuntimeException {

  protected KagamiException(String message) {
    super(message);
  }

  protected KagamiException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The input was malformed or over a limit. gRPC INVALID_ARGUMENT, HTTP 400. */
  public static final class InvalidInput extends KagamiException {
    public InvalidInput(String message) {
      super(message);
    }

    public InvalidInput(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A bounded queue or pool is full; the caller should back off. gRPC RESOURCE_EXHAUSTED, HTTP 429. */
  public static final class Overloaded extends KagamiException {
    public Overloaded(String message) {
      super(message);
    }
  }

  /**
   * The server is shutting down (or a pool has stopped) and takes no new work; the caller should go to
   * another replica. gRPC UNAVAILABLE, HTTP 503.
   */
  public static final class ShuttingDown extends KagamiException {
    /** The words every refusal during shutdown uses. */
    public ShuttingDown() {
      this("the server is shutting down; retry on another replica");
    }

    public ShuttingDown(String message) {
      super(message);
    }
  }

  /** The caller's deadline passed before the work ran. gRPC DEADLINE_EXCEEDED, HTTP 504. */
  public static final class DeadlineExceeded extends KagamiException {
    public DeadlineExceeded(String message) {
      super(message);
    }
  }

  /** The caller cancelled the work. gRPC CANCELLED, HTTP 499. */
  public static final class Cancelled extends KagamiException {
    public Cancelled(String message) {
      super(message);
    }
  }

  /**
   * Long work (a fine-tuning run) stopped because the process is stopping; it wrote a checkpoint and
   * resumes there at the next start, here or on another process. gRPC UNAVAILABLE, HTTP 503.
   */
  public static final class Suspended extends KagamiException {
    public Suspended(String message) {
      super(message);
    }
  }

  /** No model is ready to serve. gRPC UNAVAILABLE, HTTP 503. */
  public static final class ModelUnavailable extends KagamiException {
    public ModelUnavailable(String message) {
      super(message);
    }
  }

  /**
   * A backing service (the search cluster) cannot be reached or failed; retrying later may work. gRPC
   * UNAVAILABLE, HTTP 503.
   */
  public static final class BackendUnavailable extends KagamiException {
    public BackendUnavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A named thing does not exist. gRPC NOT_FOUND, HTTP 404. */
  public static final class NotFound extends KagamiException {
    public NotFound(String message) {
      super(message);
    }
  }

  /** The system is not in a state that allows the operation. gRPC FAILED_PRECONDITION, HTTP 409. */
  public static final class FailedPrecondition extends KagamiException {
    public FailedPrecondition(String message) {
      super(message);
    }
  }

  /** No credential, or one that is malformed, unknown or revoked. gRPC UNAUTHENTICATED, HTTP 401. */
  public static final class Unauthenticated extends KagamiException {
    public Unauthenticated(String message) {
      super(message);
    }
  }

  /** The credential does not allow the operation. gRPC PERMISSION_DENIED, HTTP 403. */
  public static final class PermissionDenied extends KagamiException {
    public PermissionDenied(String message) {
      super(message);
    }
  }

  /**
   * A model package is incomplete, corrupt or inconsistent with its manifest. Raised at load time so a bad
   * package never starts serving. gRPC FAILED_PRECONDITION, HTTP 422.
   */
  public static final class InvalidModelPackage extends KagamiException {
    public InvalidModelPackage(String message) {
      super(message);
    }

    public InvalidModelPackage(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
