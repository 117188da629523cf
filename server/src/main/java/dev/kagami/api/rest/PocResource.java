package dev.kagami.api.rest;

import dev.kagami.app.PocReportService;
import dev.kagami.evaluation.PocReport;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /api/v1/poc/{runId}}: the PoC report of a fine-tuning run, as JSON or as a PDF (en or ja). */
@Path("/api/v1/poc/{runId}")
@Tag(name = "Evaluations")
@Blocking
public class PocResource {

  private final PocReportService poc;

  public PocResource(PocReportService poc) {
    this.poc = poc;
  }

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "The PoC report of a run that succeeded: recommendation, gate, KPI changes with intervals, "
      + "classes that got worse, costs, trade-off, data")
  public PocReport get(@PathParam("runId") String runId) {
    return poc.report(runId);
  }

  @GET
  @Path("/pdf")
  @Produces("application/pdf")
  @Operation(summary = "The PoC report as a PDF; lang=en (default) or ja")
  public Response pdf(@PathParam("runId") String runId, @QueryParam("lang") String lang) {
    byte[] pdf = poc.pdf(runId, lang);
    String name = "kagami-poc-" + runId.replaceAll("[^A-Za-z0-9._-]", "_") + "-"
        + (lang == null || lang.isBlank() ? "en" : lang.toLowerCase(java.util.Locale.ROOT)) + ".pdf";
    return Response.ok(pdf, "application/pdf").header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
  }
}
