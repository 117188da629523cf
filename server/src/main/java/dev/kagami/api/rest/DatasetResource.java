package dev.kagami.api.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.app.DatasetDetails;
import dev.kagami.app.DatasetService;
import dev.kagami.app.ImportDatasetCommand;
import dev.kagami.app.UploadDatasetCommand;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.persistence.DatasetRepository;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/** {@code /api/v1/datasets}: import (from a server path or an upload), list, browse, thumbnails. */
@Path("/api/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Datasets")
@Blocking
public class DatasetResource {

  private final DatasetService datasets;
  private final ObjectMapper json;

  public DatasetResource(DatasetService datasets, ObjectMapper json) {
    this.datasets = datasets;
    this.json = json;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Import a dataset from a path under the import roots (a job)",
      description = "202 with the job; follow it at /api/v1/jobs/{id}/events. A bad request is refused before any job exists.")
  public Response importDataset(ImportDatasetCommand command) {
    if (command == null) {
      throw new InvalidInput("the body must be a JSON object: name, source, path, ...");
    }
    return Response.accepted(JobView.of(datasets.startImport(command), json)).build();
  }

  @POST
  @Path("/upload")
  @Consumes(MediaType.MULTIPART_FORM_DATA)
  @Operation(summary = "Import an uploaded zip (class folders, or a manifest with its images) (a job)")
  public Response upload(@RestForm("name") String name, @RestForm("file") FileUpload file, @RestForm("limit") Integer limit,
      @RestForm("seed") Long seed, @RestForm("trainFraction") Double train, @RestForm("validationFraction") Double validation,
      @RestForm("testFraction") Double test, @RestForm("classDisjoint") boolean classDisjoint) {
    if (file == null) {
      throw new InvalidInput("the form needs a 'file' part holding a zip archive");
    }
    return Response.accepted(JobView.of(datasets.startUpload(new UploadDatasetCommand(name, file.uploadedFile(), file.size(),
        limit, seed, train, validation, test, classDisjoint)), json)).build();
  }

  @GET
  @Operation(summary = "Datasets, newest first")
  public List<DatasetRepository.Summary> list() {
    return datasets.list();
  }

  @GET
  @Path("/{name}")
  @Operation(summary = "One dataset: per-class counts, split sizes, skipped inputs and a page of items")
  public DatasetDetails get(@PathParam("name") String name, @QueryParam("offset") int offset, @QueryParam("limit") int limit,
      @QueryParam("skipped") @DefaultValue("" + DatasetService.SKIPPED_SHOWN) int skipped) {
    return datasets.details(name, offset, limit, skipped);
  }

  @GET
  @Path("/{name}/items/{id}/image")
  @Produces("image/png")
  @Operation(summary = "A PNG thumbnail of an item's image, its longer side at most `size` pixels")
  public Response thumbnail(@PathParam("name") String name, @PathParam("id") String id,
      @QueryParam("size") @DefaultValue("128") int size) {
    CacheControl cc = new CacheControl();
    cc.setMaxAge(3600);
    return Response.ok(datasets.thumbnail(name, id, size), "image/png").cacheControl(cc).build();
  }
}
