package dev.kagami.api.grpc;

import dev.kagami.app.JobService;
import dev.kagami.job.Job;
import dev.kagami.job.JobId;
import dev.kagami.job.JobState;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Follows a job on a server stream: one message per snapshot, the stream completing after the job's last
 * one. When the caller goes away the watch is closed; the job goes on.
 */
final class JobStreams {

  private JobStreams() {}

  /**
   * @param message the message for a snapshot (for the last one too)
   * @param failuresAsStatus whether a job that failed or was cancelled ends the call with its failure as the
   *     status (the import and evaluation streams) rather than as a last message (WatchJob)
   */
  static <T> void follow(JobService jobs, JobId id, ServerCallStreamObserver<T> call, Function<Job, T> message,
      boolean failuresAsStatus) {
    AtomicReference<AutoCloseable> handle = new AtomicReference<>();
    call.setOnCancelHandler(() -> close(handle.get()));
    handle.set(jobs.watch(id, j -> {
      synchronized (call) {
        if (call.isCancelled()) {
          return;
        }
        if (j.state().ended() && j.state() != JobState.SUCCEEDED && failuresAsStatus) {
          call.onError(GrpcErrors.toStatus(j.failure()));
          return;
        }
        T m;
        try {
          m = message.apply(j);
        } catch (RuntimeException e) {
          call.onError(GrpcErrors.toStatus(e));
          return;
        }
        call.onNext(m);
        if (j.state().ended()) {
          call.onCompleted();
        }
      }
    }));
    if (call.isCancelled()) {
      close(handle.get());
    }
  }

  private static void close(AutoCloseable handle) {
    if (handle == null) {
      return;
    }
    try {
      handle.close();
    } catch (Exception e) {
      // closing a watch only removes a listener; it cannot fail
    }
  }
}
