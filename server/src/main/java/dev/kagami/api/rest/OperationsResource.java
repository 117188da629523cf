package dev.kagami.api.rest;

import dev.kagami.app.OperationsService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /api/v1/operations}: live figures of the serving path (calls/s, latency, queues). */
@Path("/api/v1/operations")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Server")
public class OperationsResource {

  private final OperationsService operations;

  public OperationsResource(OperationsService operations) {
    this.operations = operations;
  }

  @GET
  @Operation(summary = "Calls per second, latency p50/p99 and queue depths of the text and image lanes, now")
  public OperationsService.Operations get() {
    return operations.now();
  }
}
