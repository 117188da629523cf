package dev.kagami.api.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.app.EvaluateCommand;
import dev.kagami.app.EvaluationService;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.ReportComparison;
import dev.kagami.evaluation.ReportCsv;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /api/v1/evaluations} (start) and {@code /api/v1/reports} (list, get, compare, export). */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Evaluations")
@Blocking
public class EvaluationResource {

  private final EvaluationService evaluations;
  private final ObjectMapper json;

  public EvaluationResource(EvaluationService evaluations, ObjectMapper json) {
    this.evaluations = evaluations;
    this.json = json;
  }

  @POST
  @Path("/evaluations")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Evaluate a model on a split of a dataset (a job)",
      description = "model \"name/version\" (absent: the serving model), dataset, split (test), kpis (all), templates "
          + "(openai-imagenet). 202 with the job; its result holds the report id.")
  public Response evaluate(EvaluateBody body) {
    if (body == null) {
      throw new InvalidInput("the body must be a JSON object: dataset, model, split, kpis, templates");
    }
    return Response.accepted(JobView.of(evaluations.start(new EvaluateCommand(body.model() == null || body.model().isEmpty()
        ? null : dev.kagami.model.ModelId.parse(body.model()), body.dataset(), body.split(), body.kpis(), body.templates(),
        body.calibrationPrecision())),
        json)).build();
  }

  /** The JSON body of an evaluation: the model is written {@code name/version}. */
  /** {@code calibrationPrecision}: the precision the relevance thresholds are computed for (absent: 0.9). */
  public record EvaluateBody(String model, String dataset, String split, java.util.Set<dev.kagami.evaluation.Evaluator.Kpi> kpis,
      String templates, Double calibrationPrecision) {}

  @GET
  @Path("/reports")
  @Operation(summary = "Reports, newest first; dataset and model (name/version) filter")
  public List<EvaluationReport> list(@QueryParam("dataset") String dataset, @QueryParam("model") String model,
      @QueryParam("limit") int limit) {
    return evaluations.list(dataset, model, limit);
  }

  @GET
  @Path("/reports/compare")
  @Operation(summary = "Per-KPI and per-class changes of `after` against `before`")
  public ReportComparison compare(@QueryParam("before") String before, @QueryParam("after") String after) {
    if (before == null || after == null) {
      throw new InvalidInput("compare needs the query parameters before and after (report ids)");
    }
    return evaluations.compare(before, after);
  }

  @GET
  @Path("/reports/{id}")
  @Operation(summary = "One report")
  public EvaluationReport get(@PathParam("id") String id) {
    return evaluations.report(id);
  }

  @GET
  @Path("/reports/{id}/export")
  @Produces({"text/csv", MediaType.APPLICATION_JSON})
  @Operation(summary = "A report as a file: format csv (summary and per-class rows) or json (the whole report)")
  public Response export(@PathParam("id") String id, @QueryParam("format") @DefaultValue("csv") String format) {
    EvaluationReport r = evaluations.report(id);
    return switch (format) {
      case "csv" -> Response.ok(ReportCsv.of(r), "text/csv; charset=utf-8")
          .header("Content-Disposition", "attachment; filename=\"report-" + r.id() + ".csv\"").build();
      case "json" -> Response.ok(r, MediaType.APPLICATION_JSON)
          .header("Content-Disposition", "attachment; filename=\"report-" + r.id() + ".json\"").build();
      default -> throw new InvalidInput("format must be csv or json: '" + format + "'");
    };
  }
}
