package dev.kagami.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.app.FineTuneService;
import dev.kagami.app.StartRunCommand;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.job.JobState;
import dev.kagami.model.ModelId;
import dev.kagami.persistence.StoredRun;
import dev.kagami.training.RunManager;
import dev.kagami.training.RunSpec;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** {@code /api/v1/runs}: fine-tuning runs (start, list, get with history, cancel, live events). */
@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Fine-tuning")
@Blocking
public class RunResource {

  /** The JSON body of a new run; absent fields take the server's defaults. The base model is {@code name/version}. */
  public record StartRunBody(String baseModel, String dataset, RunSpec.Method method, RunSpec.Trainable trainable,
      Integer lastBlocks, Integer epochs, Integer batchSize, Double learningRate, Integer realignEpochs,
      Double realignLearningRate, Long seed, Integer validateEvery, Integer patience, RunSpec.CaptionSource captions,
      Integer minedTopK, Double minedThreshold, Integer maxTrainImages, String newVersion, Double proxyLearningRate,
      RunSpec.Trainable realignTrainable, Integer realignLastBlocks, Integer realignWarmupSteps, Boolean realignTrainEmbeddings) {}

  /** A run: its configuration (every default filled in), state, outcome and validation history. */
  public record RunView(String id, JobState state, String stage, int step, int totalSteps, Instant createdAt,
      Instant updatedAt, JsonNode config, String resultModel, String baseReportId, String tunedReportId, String error,
      Map<String, Double> stageSeconds, List<StoredRun.Point> history) {}

  /** One live event: {@code type} is snapshot (with run), progress or validation (with point). */
  public record RunEvent(String type, RunView run, String stage, Integer step, Integer totalSteps, Double loss,
      Double learningRate, Double etaSeconds, StoredRun.Point point) {}

  private final FineTuneService runs;
  private final dev.kagami.app.RunEstimator estimator;
  private final ObjectMapper json;

  public RunResource(FineTuneService runs, dev.kagami.app.RunEstimator estimator, ObjectMapper json) {
    this.runs = runs;
    this.estimator = estimator;
    this.json = json;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Start a fine-tuning run (queued; 202)")
  public Response start(StartRunBody b) {
    if (b == null) {
      throw new InvalidInput("the body must be a JSON object: dataset, method, ...");
    }
    StoredRun r = runs.start(command(b));
    return Response.accepted(view(r)).build();
  }

  private static StartRunCommand command(StartRunBody b) {
    return new StartRunCommand(b.baseModel() == null || b.baseModel().isEmpty() ? null
        : ModelId.parse(b.baseModel()), b.dataset(), b.method(), b.trainable(), b.lastBlocks(), b.epochs(), b.batchSize(),
        b.learningRate(), b.realignEpochs(), b.realignLearningRate(), b.seed(), b.validateEvery(), b.patience(), b.captions(),
        b.minedTopK(), b.minedThreshold(), b.maxTrainImages(), b.newVersion(), b.proxyLearningRate(), b.realignTrainable(),
        b.realignLastBlocks(), b.realignWarmupSteps(), b.realignTrainEmbeddings());
  }

  @POST
  @Path("/estimate")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "How long a run with this body would take, from the speed of the newest run that succeeded")
  public dev.kagami.app.RunEstimator.Estimate estimate(StartRunBody b) {
    if (b == null) {
      throw new InvalidInput("the body must be a JSON object: dataset, method, ...");
    }
    return estimator.estimate(command(b));
  }

  @GET
  @Operation(summary = "Runs, newest first (without history)")
  public List<RunView> list(@QueryParam("limit") int limit) {
    return runs.list(limit).stream().map(this::view).toList();
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "One run with its validation history")
  public RunView get(@PathParam("id") String id) {
    return view(runs.get(id));
  }

  @POST
  @Path("/{id}/cancel")
  @Operation(summary = "Cancel a queued or running run (409 when it has ended)")
  public RunView cancel(@PathParam("id") String id) {
    return view(runs.cancel(id));
  }

  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  @Operation(summary = "The run now, then its steps, validations and state changes until it ends (Server-Sent Events)")
  public Multi<RunEvent> events(@PathParam("id") String id) {
    runs.get(id); // an unknown id is a 404, not an empty stream
    return Sse.<RunManager.Update, RunEvent>of(listener -> {
      Runnable stop = runs.watch(id, listener);
      return stop::run;
    }, this::event, u -> u instanceof RunManager.Update.Snapshot s && s.run().state().ended());
  }

  private RunEvent event(RunManager.Update u) {
    if (u instanceof RunManager.Update.Snapshot s) {
      return new RunEvent("snapshot", view(s.run()), null, null, null, null, null, null, null);
    }
    if (u instanceof RunManager.Update.Progress p) {
      return new RunEvent("progress", null, p.stage(), p.step().step(), p.step().totalSteps(), p.step().loss(),
          p.step().learningRate(), p.etaSeconds(), null);
    }
    RunManager.Update.Validation v = (RunManager.Update.Validation) u;
    return new RunEvent("validation", null, v.point().stage(), v.point().step(), null, v.point().loss(), null, null, v.point());
  }

  RunView view(StoredRun r) {
    JsonNode config;
    try {
      config = json.readTree(r.config());
    } catch (IOException e) {
      config = json.getNodeFactory().textNode(r.config());
    }
    return new RunView(r.id(), r.state(), r.stage(), r.step(), r.totalSteps(), r.createdAt(), r.updatedAt(), config,
        r.resultModel(), r.baseReportId(), r.tunedReportId(), r.error(), r.timings(), r.history());
  }
}
