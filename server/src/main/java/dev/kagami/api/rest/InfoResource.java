package dev.kagami.api.rest;

import dev.kagami.app.ServerInfoService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /api/v1/info}: version, serving model, engine, uptime, health. */
@Path("/api/v1/info")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Server")
public class InfoResource {

  private final ServerInfoService info;

  public InfoResource(ServerInfoService info) {
    this.info = info;
  }

  @GET
  @Operation(summary = "Server version, the serving model, engine, uptime and health")
  public ServerInfoService.Info get() {
    return info.info();
  }
}
