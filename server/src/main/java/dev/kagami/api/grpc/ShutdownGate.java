package dev.kagami.api.grpc;

import dev.kagami.config.KagamiConfig;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The gRPC side of a stop. On SIGTERM Quarkus shuts the CDI container down while its gRPC server may still
 * take calls; such a call failed inside Quarkus (UNKNOWN, a NullPointerException and a logged stack trace)
 * or was reset mid-flight (INTERNAL). This interceptor runs first of Kagami's (right after Quarkus's own
 * context set-up) and moves through {@link State}:
 * <ol>
 *   <li>{@code OPEN}: every call passes and is counted while it runs;
 *   <li>{@code DRAINING}, from the shutdown event (after health has said NOT_SERVING): new calls are
 *       answered UNAVAILABLE ("shutting down", the status that tells a client to go to another replica),
 *       health checks still pass (they say NOT_SERVING), and the stop waits until the calls already running
 *       have ended, at most {@code kagami.serving.drain-timeout} (server-streaming watches are not waited
 *       for: they follow a job and end when their client goes);
 *   <li>{@code CLOSED}: every call, health included, is answered UNAVAILABLE here, without touching a bean,
 *       so nothing reaches a container that is gone.
 * </ol>
 * It is a {@code @Singleton} (no client proxy) so that it still answers after the container has stopped.
 */
@GlobalInterceptor
@Priority(io.quarkus.grpc.runtime.Interceptors.DUPLICATE_CONTEXT - 1)
@Singleton
public class ShutdownGate implements ServerInterceptor {

  /** Where the gate is in a stop. */
  public enum State { OPEN, DRAINING, CLOSED }

  private static final Logger LOG = Logger.getLogger(ShutdownGate.class);
  private static final String HEALTH_PREFIX = "grpc.health.v1.Health/";
  /** After the other shutdown observers (health's NOT_SERVING first), before the container stops. */
  static final int OBSERVER_PRIORITY = jakarta.interceptor.Interceptor.Priority.PLATFORM_AFTER + 1000;

  private final Duration drainTimeout;
  private final Object lock = new Object();
  private volatile State state = State.OPEN;
  private int running; // calls passed and not yet ended that a drain waits for; guarded by lock

  @jakarta.inject.Inject
  public ShutdownGate(KagamiConfig config) {
    this(config.serving().drainTimeout());
  }

  ShutdownGate(Duration drainTimeout) {
    this.drainTimeout = drainTimeout;
  }

  public State state() {
    return state;
  }

  /** Calls that passed the gate and have not ended (those a drain waits for). */
  public int running() {
    synchronized (lock) {
      return running;
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    State s = state;
    boolean health = call.getMethodDescriptor().getFullMethodName().startsWith(HEALTH_PREFIX);
    if (s == State.CLOSED || (s == State.DRAINING && !health)) {
      call.close(Status.UNAVAILABLE.withDescription("the server is shutting down; retry on another replica"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (call.getMethodDescriptor().getType() == MethodType.SERVER_STREAMING) {
      return next.startCall(call, headers); // a watch: not waited for
    }
    synchronized (lock) {
      running++;
    }
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end = () -> {
      if (ended.compareAndSet(false, true)) {
        synchronized (lock) {
          running--;
          lock.notifyAll();
        }
      }
    };
    ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        try {
          super.close(status, trailers);
        } finally {
          end.run();
        }
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(counted, headers);
    } catch (RuntimeException e) {
      end.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          end.run();
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          end.run();
        }
      }
    };
  }

  void stopping(@Observes @Priority(OBSERVER_PRIORITY) ShutdownEvent ev) {
    int left = drain(drainTimeout);
    if (left > 0) {
      LOG.warnf("shutdown: %d gRPC calls still running after the drain timeout (%s)", left, drainTimeout);
    }
  }

  /**
   * Refuses new calls (health excepted) and waits until those running have ended or {@code grace} has
   * passed; then refuses every call. Returns how many were still running.
   */
  int drain(Duration grace) {
    long until = System.nanoTime() + grace.toNanos();
    synchronized (lock) {
      state = State.DRAINING;
      try {
        while (running > 0) {
          long left = until - System.nanoTime();
          if (left <= 0) {
            break;
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      state = State.CLOSED;
      return running;
    }
  }
}
