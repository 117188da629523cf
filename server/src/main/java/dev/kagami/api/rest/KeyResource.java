package dev.kagami.api.rest;

import dev.kagami.app.AuthService;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.security.ApiKey;
import dev.kagami.security.AuditEntry;
import dev.kagami.security.Principal;
import dev.kagami.security.Role;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /api/v1/keys} (create, list, revoke API keys) and {@code /api/v1/audit} (admin actions), for admins. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Security")
@Blocking
public class KeyResource {

  /** {@code role}: reader, writer or admin. */
  public record CreateBody(String name, String role) {}

  /** The new key with its secret: shown only in this answer. */
  public record CreatedView(ApiKey key, String secret) {}

  public record WhoAmI(String name, String role, boolean authenticated, boolean authRequired) {}

  private final AuthService auth;

  public KeyResource(AuthService auth) {
    this.auth = auth;
  }

  @POST
  @Path("/keys")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Create an API key (its secret is in this answer only)")
  public Response create(CreateBody b, @Context ContainerRequestContext ctx) {
    if (b == null) {
      throw new InvalidInput("the body must be a JSON object: name, role");
    }
    Role role;
    try {
      role = b.role() == null ? null : Role.valueOf(b.role().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInput("role must be reader, writer or admin: '" + b.role() + "'");
    }
    AuthService.CreatedKey k = auth.create(b.name(), role, principal(ctx).name());
    return Response.status(201).entity(new CreatedView(k.key(), k.secret())).build();
  }

  @GET
  @Path("/keys")
  @Operation(summary = "API keys (never their secrets)")
  public List<ApiKey> list() {
    return auth.list();
  }

  @DELETE
  @Path("/keys/{id}")
  @Operation(summary = "Revoke an API key")
  public ApiKey revoke(@PathParam("id") String id) {
    return auth.revoke(id);
  }

  @GET
  @Path("/audit")
  @Operation(summary = "Admin actions, newest first: who, what, when, outcome")
  public List<AuditEntry> audit(@QueryParam("limit") int limit) {
    return auth.auditLog(limit);
  }

  @GET
  @Path("/whoami")
  @Operation(summary = "The caller's key name and role, and whether keys are required")
  public WhoAmI whoami(@Context ContainerRequestContext ctx) {
    Principal p = principal(ctx);
    return new WhoAmI(p.name(), p.role().name().toLowerCase(Locale.ROOT), p.authenticated(), auth.required());
  }

  private static Principal principal(ContainerRequestContext ctx) {
    return ctx.getProperty(AuthFilter.PRINCIPAL) instanceof Principal p ? p : Principal.LOCAL;
  }
}
