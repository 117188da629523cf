package dev.kagami.api.rest;

import dev.kagami.app.IndexCommands;
import dev.kagami.app.IndexService;
import dev.kagami.embedding.CallBudget;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.index.CollectionInfo;
import dev.kagami.index.FieldValue;
import dev.kagami.index.Filter;
import dev.kagami.index.Hit;
import dev.kagami.model.ModelId;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /api/v1/collections} and {@code /api/v1/search}: collections and their stats, search by text,
 * uploaded image, item id or vector, and one query against two collections side by side (base vs tuned).
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Search")
public class SearchResource {

  /** A filter clause: {@code equals}, {@code in}, or {@code min}/{@code max} on a numeric field. */
  public record FilterBody(String field, String equals, Set<String> in, Double min, Double max) {}

  /** A query: exactly one of text, image (base64), id or vector; k (default 10), filters, and the model expected. */
  public record SearchBody(String text, String image, String id, float[] vector, int k, List<FilterBody> filters,
      String model, boolean relevantOnly) {

    public SearchBody(String text, String image, String id, float[] vector, int k, List<FilterBody> filters, String model) {
      this(text, image, id, vector, k, filters, model, false);
    }
  }

  /** Two collections (for example one per model version) asked the same query. */
  public record CompareBody(String left, String right, SearchBody query) {}

  public record HitView(String id, float score, Map<String, Object> metadata, String image, boolean relevant) {}

  /** {@code relevanceThreshold}: the model version's, for this kind of query (null: it has none). */
  public record SearchView(String collection, String model, List<HitView> hits, Double relevanceThreshold) {}

  public record CompareView(SearchView left, SearchView right) {}

  public record CollectionView(String name, String model, int dimension, long count, long sizeOnDiskBytes,
      long quarantinedRecords) {}

  public record CollectionsView(List<CollectionView> collections, Map<String, String> aliases) {}

  private final IndexService index;

  public SearchResource(IndexService index) {
    this.index = index;
  }

  static CollectionView view(CollectionInfo c) {
    return new CollectionView(c.name(), c.model(), c.dimension(), c.count(), c.sizeOnDiskBytes(), c.quarantinedRecords());
  }

  @GET
  @Path("/collections")
  @Operation(summary = "Collections and aliases")
  public CompletionStage<CollectionsView> collections() {
    return index.list().thenApply(l -> new CollectionsView(l.collections().stream().map(SearchResource::view).toList(),
        l.aliases()));
  }

  @GET
  @Path("/collections/{name}")
  @Operation(summary = "One collection's stats")
  public CompletionStage<CollectionView> stats(@PathParam("name") String name) {
    return index.stats(name).thenApply(SearchResource::view);
  }

  @POST
  @Path("/collections/{name}/search")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Search by text, image (base64), item id or vector")
  public CompletionStage<SearchView> search(@PathParam("name") String name, SearchBody body) {
    if (body == null) {
      throw new InvalidInput("the body must be a JSON object with one of text, image, id or vector");
    }
    return run(name, body, query(body));
  }

  @POST
  @Path("/collections/{name}/search/image")
  @Consumes({"image/*", MediaType.APPLICATION_OCTET_STREAM})
  @Operation(summary = "Search by an uploaded image (the request body is the encoded image)")
  public CompletionStage<SearchView> searchByImage(@PathParam("name") String name, @QueryParam("k") int k, byte[] image) {
    if (image == null || image.length == 0) {
      throw new InvalidInput("the body must hold the encoded image");
    }
    return run(name, new SearchBody(null, null, null, null, k, List.of(), null), new IndexCommands.Query.Image(image));
  }

  @POST
  @Path("/search/compare")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "One query against two collections side by side (each embeds it with its own model)")
  public CompletionStage<CompareView> compare(CompareBody body) {
    if (body == null || body.left() == null || body.right() == null || body.query() == null) {
      throw new InvalidInput("compare needs left, right (collections) and query");
    }
    IndexCommands.Query q = query(body.query());
    CompletableFuture<SearchView> l = run(body.left(), body.query(), q).toCompletableFuture();
    CompletableFuture<SearchView> r = run(body.right(), body.query(), q).toCompletableFuture();
    return l.thenCombine(r, CompareView::new);
  }

  @GET
  @Path("/collections/{name}/items/{id}/image")
  @Produces("image/*")
  @Operation(summary = "The image an item was upserted with (404 for items upserted as vectors)")
  public CompletionStage<Response> image(@PathParam("name") String name, @PathParam("id") String id) {
    return index.image(name, id).thenApply(bytes -> Response.ok(bytes, sniff(bytes)).build());
  }

  private CompletionStage<SearchView> run(String collection, SearchBody b, IndexCommands.Query q) {
    return index.search(new IndexCommands.Search(collection, b.model() == null || b.model().isEmpty() ? null
        : ModelId.parse(b.model()), q, b.k(), filter(b.filters()), b.relevantOnly()), CallBudget.NONE).thenApply(r -> {
          List<HitView> hits = new ArrayList<>(r.hits().size());
          for (Hit h : r.hits()) {
            hits.add(new HitView(h.id(), h.score(), metadata(h.metadata()), h.imageRef().isEmpty() ? null
                : jakarta.ws.rs.core.UriBuilder.fromPath("/api/v1/collections/{c}/items/{i}/image").build(collection, h.id())
                    .toString(), r.relevant(h)));
          }
          return new SearchView(collection, r.model().toString(), hits, r.threshold());
        });
  }

  static IndexCommands.Query query(SearchBody b) {
    int given = (b.text() != null ? 1 : 0) + (b.image() != null ? 1 : 0) + (b.id() != null ? 1 : 0) + (b.vector() != null ? 1 : 0);
    if (given == 0) {
      return null; // the application layer says what a query needs
    }
    if (given > 1) {
      throw new InvalidInput("the query needs exactly one of text, image, id or vector; it has " + given);
    }
    if (b.text() != null) {
      return new IndexCommands.Query.Text(b.text());
    }
    if (b.image() != null) {
      return new IndexCommands.Query.Image(image(b.image()));
    }
    return b.id() != null ? new IndexCommands.Query.ById(b.id()) : new IndexCommands.Query.Vector(b.vector());
  }

  static Filter filter(List<FilterBody> filters) {
    if (filters == null || filters.isEmpty()) {
      return Filter.NONE;
    }
    List<Filter.Clause> out = new ArrayList<>();
    for (FilterBody f : filters) {
      if (f == null || f.field() == null || f.field().isEmpty()) {
        throw new InvalidInput("a filter has no field");
      }
      boolean range = f.min() != null || f.max() != null;
      int kinds = (f.equals() != null ? 1 : 0) + (f.in() != null ? 1 : 0) + (range ? 1 : 0);
      if (kinds != 1) {
        throw new InvalidInput("filter on '" + f.field() + "' needs exactly one of equals, in, or min/max");
      }
      out.add(f.equals() != null ? new Filter.Equals(f.field(), f.equals()) : f.in() != null ? new Filter.In(f.field(), f.in())
          : new Filter.Range(f.field(), f.min() == null ? Double.NEGATIVE_INFINITY : f.min(),
              f.max() == null ? Double.POSITIVE_INFINITY : f.max()));
    }
    return new Filter(out);
  }

  static Map<String, Object> metadata(Map<String, FieldValue> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v instanceof FieldValue.Str s ? s.value() : ((FieldValue.Num) v).value()));
    return out;
  }

  /** The media type of an image from its first bytes (what was upserted is kept as it came). */
  static String sniff(byte[] b) {
    if (b.length > 3 && (b[0] & 0xff) == 0x89 && b[1] == 'P') {
      return "image/png";
    }
    if (b.length > 2 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
      return "image/jpeg";
    }
    if (b.length > 3 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
      return "image/gif";
    }
    if (b.length > 11 && b[0] == 'R' && b[8] == 'W' && b[9] == 'E') {
      return "image/webp";
    }
    return b.length > 1 && b[0] == 'B' && b[1] == 'M' ? "image/bmp" : MediaType.APPLICATION_OCTET_STREAM;
  }

  /** A query image sent as base64 in a JSON body. */
  static byte[] image(String base64) {
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new InvalidInput("image is not valid base64: " + e.getMessage());
    }
  }
}
