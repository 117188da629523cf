package dev.kagami.api.grpc;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.job.Job;
import dev.kagami.job.JobId;
import dev.kagami.job.JobKind;
import dev.kagami.job.JobState;

/** Jobs between the domain and kagami.v1. */
final class JobMapping {

  private JobMapping() {}

  static dev.kagami.api.v1.Job job(Job j) {
    dev.kagami.api.v1.Job.Builder b = dev.kagami.api.v1.Job.newBuilder().setId(j.id().value())
        .setKind(dev.kagami.api.v1.JobKind.valueOf("JOB_KIND_" + j.kind().name()))
        .setState(dev.kagami.api.v1.JobState.valueOf("JOB_STATE_" + j.state().name()))
        .setCreatedAt(j.createdAt().toString()).setUpdatedAt(j.updatedAt().toString()).setRequestJson(j.request())
        .setStage(j.progress().stage()).setDone(j.progress().done()).setTotal(j.progress().total())
        .setEtaSeconds(j.progress().etaSeconds());
    if (j.result() != null) {
      b.setResultJson(j.result());
    }
    if (j.failure() != null) {
      b.setErrorCode(j.failure().kind().grpcCode()).setErrorMessage(j.failure().message());
    }
    return b.build();
  }

  /** The kind a request filters by; {@code number} is the wire value (an unknown one has no constant). */
  static JobKind kind(dev.kagami.api.v1.JobKind k, int number) {
    return switch (k) {
      case JOB_KIND_UNSPECIFIED -> null;
      case UNRECOGNIZED -> throw new InvalidInput("unknown job kind " + number);
      default -> JobKind.valueOf(k.name().substring("JOB_KIND_".length()));
    };
  }

  static JobState state(dev.kagami.api.v1.JobState s, int number) {
    return switch (s) {
      case JOB_STATE_UNSPECIFIED -> null;
      case UNRECOGNIZED -> throw new InvalidInput("unknown job state " + number);
      default -> JobState.valueOf(s.name().substring("JOB_STATE_".length()));
    };
  }

  static JobId id(String id) {
    if (id.isEmpty()) {
      throw new InvalidInput("id is required");
    }
    return new JobId(id);
  }
}
