package dev.kagami.api.rest;

import dev.kagami.app.ModelService;
import dev.kagami.app.PromotionService;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelId;
import dev.kagami.registry.AliasEvent;
import dev.kagami.registry.GateRules;
import dev.kagami.registry.GateVerdict;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /api/v1/models} and {@code /api/v1/aliases}: the model registry, the promotion gate and the audit log. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Models")
@Blocking
public class ModelResource {

  private final ModelService models;
  private final PromotionService promotion;
  private final dev.kagami.app.ModelArchives archives;

  public ModelResource(ModelService models, PromotionService promotion, dev.kagami.app.ModelArchives archives) {
    this.models = models;
    this.promotion = promotion;
    this.archives = archives;
  }

  @GET
  @Path("/models/{name}/{version}/export")
  @Produces("application/zip")
  @Operation(summary = "The version's package as a zip archive (another Kagami imports it with POST /models/upload)")
  public jakarta.ws.rs.core.Response export(@PathParam("name") String name, @PathParam("version") String version) {
    ModelId id = new ModelId(name, version);
    models.requireRegistered(id);
    jakarta.ws.rs.core.StreamingOutput body = out -> archives.export(id, out);
    return jakarta.ws.rs.core.Response.ok(body, "application/zip")
        .header("Content-Disposition", "attachment; filename=\"" + name + "-" + version + ".zip\"").build();
  }

  @POST
  @Path("/models/upload")
  @Consumes(MediaType.MULTIPART_FORM_DATA)
  @Operation(summary = "Import an uploaded zip of one model package (checked as at load, registered)")
  public ModelService.ModelDetails upload(@org.jboss.resteasy.reactive.RestForm("file")
      org.jboss.resteasy.reactive.multipart.FileUpload file, @org.jboss.resteasy.reactive.RestForm("actor") String actor,
      @jakarta.ws.rs.core.Context jakarta.ws.rs.container.ContainerRequestContext ctx) {
    if (file == null) {
      throw new InvalidInput("the form needs a file field holding the zip");
    }
    return models.get(archives.importArchive(file.uploadedFile(), file.size(), AuthFilter.actor(ctx, actor)).id());
  }

  @GET
  @Path("/models")
  @Operation(summary = "Registered model versions, with their aliases, whether loaded, and their reports")
  public List<ModelService.ModelDetails> list() {
    return models.list();
  }

  @GET
  @Path("/models/{name}/{version}")
  @Operation(summary = "One registered model version")
  public ModelService.ModelDetails get(@PathParam("name") String name, @PathParam("version") String version) {
    return models.get(new ModelId(name, version));
  }

  /** Body of an import: a package folder under the import roots. */
  public record ImportBody(String path, String actor) {}

  @POST
  @Path("/models")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Import a model package folder under the allowed roots (copied into the repository, registered)")
  public ModelService.ModelDetails importModel(ImportBody body,
      @jakarta.ws.rs.core.Context jakarta.ws.rs.container.ContainerRequestContext ctx) {
    if (body == null) {
      throw new InvalidInput("the body must be a JSON object: path, actor");
    }
    return models.get(models.importModel(body.path(), AuthFilter.actor(ctx, body.actor())).id());
  }

  @POST
  @Path("/models/{name}/{version}/load")
  @Operation(summary = "Load a registered version into memory; answers the loaded versions")
  public List<String> load(@PathParam("name") String name, @PathParam("version") String version) {
    return models.load(new ModelId(name, version));
  }

  @POST
  @Path("/models/{name}/{version}/unload")
  @Operation(summary = "Unload a version (refused while an alias serves it); answers the loaded versions")
  public List<String> unload(@PathParam("name") String name, @PathParam("version") String version) {
    return models.unload(new ModelId(name, version));
  }

  @DELETE
  @Path("/models/{name}/{version}")
  @Operation(summary = "Delete a version from the registry and the repository (refused while an alias or a collection uses it)")
  public void delete(@PathParam("name") String name, @PathParam("version") String version) {
    models.delete(new ModelId(name, version));
  }

  @GET
  @Path("/aliases")
  @Operation(summary = "Aliases, the version each points at, its generation and what this server serves under it")
  public List<ModelService.AliasDetails> aliases() {
    return models.aliases();
  }

  /** Body of a promotion: the model is written {@code name/version}. */
  public record PromoteBody(String model, String dataset, String split, String reason, String overrideReason, String actor,
      boolean reindexCollections) {}

  private static PromotionService.PromoteCommand command(String alias, PromoteBody b,
      jakarta.ws.rs.container.ContainerRequestContext ctx) {
    if (b == null) {
      throw new InvalidInput("the body must be a JSON object: model, dataset, split, reason, overrideReason, actor");
    }
    return new PromotionService.PromoteCommand(alias, b.model() == null || b.model().isBlank() ? null : ModelId.parse(b.model()),
        b.dataset(), b.split(), b.reason(), b.overrideReason(), AuthFilter.actor(ctx, b.actor()), b.reindexCollections());
  }

  @POST
  @Path("/aliases/{alias}/gate")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "The gate's verdict on moving the alias to a version, without moving it")
  public GateVerdict check(@PathParam("alias") String alias, PromoteBody body,
      @jakarta.ws.rs.core.Context jakarta.ws.rs.container.ContainerRequestContext ctx) {
    return promotion.check(command(alias, body, ctx));
  }

  @POST
  @Path("/aliases/{alias}/promote")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Move the alias to a version through the gate (409 with the failing rules when refused, "
      + "unless overrideReason is given)")
  public PromotionService.Move promote(@PathParam("alias") String alias, PromoteBody body,
      @jakarta.ws.rs.core.Context jakarta.ws.rs.container.ContainerRequestContext ctx) {
    return promotion.promote(command(alias, body, ctx));
  }

  /** Body of a rollback. */
  public record RollbackBody(String reason, String actor) {}

  @POST
  @Path("/aliases/{alias}/rollback")
  @Operation(summary = "Move the alias back to the version it pointed at before its last move")
  public PromotionService.Move rollback(@PathParam("alias") String alias, RollbackBody body,
      @jakarta.ws.rs.core.Context jakarta.ws.rs.container.ContainerRequestContext ctx) {
    return promotion.rollback(alias, body == null ? null : body.reason(), AuthFilter.actor(ctx, body == null ? null : body.actor()));
  }

  @GET
  @Path("/aliases/events")
  @Operation(summary = "The audit log of alias moves, newest first (all aliases, or ?alias=)")
  public List<AliasEvent> events(@QueryParam("alias") String alias, @QueryParam("limit") @DefaultValue("0") int limit) {
    return models.events(alias, limit);
  }

  @GET
  @Path("/aliases/{alias}/rules")
  @Operation(summary = "The promotion gate's rules for the alias (the defaults until set)")
  public GateRules rules(@PathParam("alias") String alias) {
    return models.gateRules(alias);
  }

  @PUT
  @Path("/aliases/{alias}/rules")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Set the promotion gate's rules for the alias")
  public GateRules setRules(@PathParam("alias") String alias, GateRules rules) {
    return models.setGateRules(alias, rules);
  }
}
