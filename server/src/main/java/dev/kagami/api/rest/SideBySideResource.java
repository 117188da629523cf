package dev.kagami.api.rest;

import dev.kagami.app.SideBySideSearch;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelId;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /api/v1/search/side-by-side}: one query against a dataset's split, ranked by two model versions. */
@Path("/api/v1/search/side-by-side")
@Tag(name = "Search")
@Blocking
public class SideBySideResource {

  /** {@code image} is base64; {@code models} holds two {@code name/version}. */
  public record Body(String dataset, String split, List<String> models, String text, String image, String itemId,
      String queryClass, int k) {}

  public record HitView(String id, String label, double score, boolean relevant, String image) {}

  /** {@code threshold}: the version's calibrated relevance threshold for this kind of query (null: none). */
  public record SideView(String model, List<HitView> hits, Double precisionAtK, Double threshold) {}

  public record View(String dataset, String split, String queryClass, int k, int galleryImages, List<SideView> sides) {}

  private final SideBySideSearch search;

  public SideBySideResource(SideBySideSearch search) {
    this.search = search;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "A text, an image (base64) or a dataset item ranked over a dataset's split by two model versions, "
      + "with hits of the query's class marked and precision@k of each")
  public View search(Body b) {
    if (b == null) {
      throw new InvalidInput("the body must be a JSON object: dataset, models, and text, image or itemId");
    }
    byte[] image = b.image() == null ? null : SearchResource.image(b.image());
    List<ModelId> models = b.models() == null ? null : b.models().stream().map(ModelId::parse).toList();
    SideBySideSearch.Result r = search.search(new SideBySideSearch.Query(b.dataset(), b.split(), models, b.text(), image,
        b.itemId(), b.queryClass(), b.k()));
    return new View(r.dataset(), r.split(), r.queryClass(), r.k(), r.galleryImages(), r.sides().stream()
        .map(s -> new SideView(s.model(), s.hits().stream().map(h -> new HitView(h.id(), h.label(), h.score(), h.relevant(),
            UriBuilder.fromPath("/api/v1/datasets/{d}/items/{i}/image").build(r.dataset(), h.id()).toString())).toList(),
            s.precisionAtK(), s.threshold()))
        .toList());
  }
}
