package dev.kagami.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.job.Job;
import dev.kagami.job.JobKind;
import dev.kagami.job.JobState;
import java.io.IOException;
import java.time.Instant;

/** A job as the REST API shows it; {@code request} and {@code result} are JSON objects. */
public record JobView(String id, JobKind kind, JobState state, Instant createdAt, Instant updatedAt, JsonNode request,
    Progress progress, JsonNode result, ApiError error) {

  /** {@code fraction} in [0, 1]; {@code etaSeconds} negative when there is no estimate. */
  public record Progress(String stage, long done, long total, double fraction, double etaSeconds) {}

  static JobView of(Job j, ObjectMapper json) {
    return new JobView(j.id().value(), j.kind(), j.state(), j.createdAt(), j.updatedAt(), tree(json, j.request()),
        new Progress(j.progress().stage(), j.progress().done(), j.progress().total(), j.progress().fraction(),
            j.progress().etaSeconds()),
        tree(json, j.result()), j.failure() == null ? null
            : new ApiError(j.failure().kind().grpcCode(), j.failure().kind().httpStatus(), j.failure().message()));
  }

  private static JsonNode tree(ObjectMapper json, String s) {
    if (s == null) {
      return null;
    }
    try {
      return json.readTree(s);
    } catch (IOException e) {
      return json.getNodeFactory().textNode(s);
    }
  }
}
