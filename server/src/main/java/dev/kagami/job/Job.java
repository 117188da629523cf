package dev.kagami.job;

import dev.kagami.error.Failure;
import java.time.Instant;

/**
 * A long piece of work as kept in the database: the request that started it (JSON, as received with the
 * defaults filled in), its state and progress, and, once ended, its result (JSON) or its failure.
 */
public record Job(JobId id, JobKind kind, JobState state, Instant createdAt, Instant updatedAt, String request,
    JobProgress progress, String result, Failure failure) {

  public Job withState(JobState s, Instant at) {
    return new Job(id, kind, s, createdAt, at, request, progress, result, failure);
  }

  public Job withProgress(JobProgress p, Instant at) {
    return new Job(id, kind, state, createdAt, at, request, p, result, failure);
  }

  public Job ended(JobState s, String resultJson, Failure f, Instant at) {
    return new Job(id, kind, s, createdAt, at, request, progress, resultJson, f);
  }
}
