package dev.kagami.api.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.app.JobService;
import dev.kagami.job.JobId;
import dev.kagami.job.JobKind;
import dev.kagami.job.JobState;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** {@code /api/v1/jobs}: durable jobs (imports, evaluations, re-indexing). */
@Path("/api/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Jobs")
@Blocking
public class JobResource {

  private final JobService jobs;
  private final ObjectMapper json;

  public JobResource(JobService jobs, ObjectMapper json) {
    this.jobs = jobs;
    this.json = json;
  }

  @GET
  @Operation(summary = "Jobs, newest first", description = "kind and state filter; limit 0 or absent = 50")
  public List<JobView> list(@QueryParam("kind") String kind, @QueryParam("state") String state,
      @QueryParam("limit") int limit) {
    return jobs.list(enumOf(JobKind.class, "kind", kind), enumOf(JobState.class, "state", state), limit).stream().map(j -> JobView.of(j, json)).toList();
  }

  /** A query parameter as an enum constant (null when absent); a bad value is a 400 that lists the allowed ones. */
  static <E extends Enum<E>> E enumOf(Class<E> type, String name, String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      return Enum.valueOf(type, value);
    } catch (IllegalArgumentException e) {
      throw new dev.kagami.error.KagamiException.InvalidInput("bad " + name + " '" + value + "'; allowed: "
          + java.util.Arrays.toString(type.getEnumConstants()));
    }
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "One job: state, progress, result or error")
  public JobView get(@PathParam("id") String id) {
    return JobView.of(jobs.get(new JobId(id)), json);
  }

  @POST
  @Path("/{id}/cancel")
  @Operation(summary = "Cancel a job", description = "a queued job ends at once, a running one at its next progress step")
  public JobView cancel(@PathParam("id") String id) {
    return JobView.of(jobs.cancel(new JobId(id)), json);
  }

  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  @Operation(summary = "The job now, then after every change, until it ends (Server-Sent Events)")
  public Multi<JobView> events(@PathParam("id") String id) {
    JobId jobId = new JobId(id);
    jobs.get(jobId); // an unknown id is a 404, not an empty stream
    return Sse.<dev.kagami.job.Job, JobView>of(listener -> jobs.watch(jobId, listener::accept), j -> JobView.of(j, json), j -> j.state().ended());
  }
}
