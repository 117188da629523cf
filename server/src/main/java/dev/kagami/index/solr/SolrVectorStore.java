package dev.kagami.index.solr;

import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.index.CollectionInfo;
import dev.kagami.index.CollectionSpec;
import dev.kagami.index.FieldValue;
import dev.kagami.index.Filter;
import dev.kagami.index.Hit;
import dev.kagami.index.IndexedItem;
import dev.kagami.index.VectorStore;
import dev.kagami.index.VectorStoreChecks;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.solr.client.solrj.SolrQuery;
import org.apache.solr.client.solrj.SolrServerException;
import org.apache.solr.client.solrj.impl.CloudHttp2SolrClient;
import org.apache.solr.client.solrj.request.AbstractUpdateRequest;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.client.solrj.request.ConfigSetAdminRequest;
import org.apache.solr.client.solrj.request.UpdateRequest;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrDocumentList;
import org.apache.solr.common.SolrException;
import org.apache.solr.common.SolrInputDocument;
import org.apache.solr.common.params.ModifiableSolrParams;
import org.apache.solr.common.util.ContentStreamBase;

/**
 * The vector store on SolrCloud: one Solr collection per Kagami collection, vectors in a
 * {@code DenseVectorField} (HNSW, dot product on unit vectors), shards and replicas as configured. It talks
 * HTTP to the Solr nodes (no ZooKeeper client) and needs nothing installed on the cluster: on first use of
 * a dimension it uploads a configset ({@code kagami-d<dimension>-m<M>-b<beam>}) it generates.
 *
 * <p>Layout: the document {@value #META_ID} ({@code kind=collection}) holds the collection's dimension and
 * model; items are {@code kind=item} documents with {@code id}, {@code vector}, {@code img} and
 * {@code s.<name>} / {@code n.<name>} metadata, as in the Lucene store.
 *
 * <p>Durability: Solr acknowledges an update once it is in the transaction log of the shard leader and its
 * replicas; the generated configset fsyncs that log ({@code syncLevel=FSYNC}). Visibility: with
 * {@link SolrSettings#visibleOnAck()} (the default) every write ends with a soft commit, so a read after a write
 * sees it, as in the Lucene store; without it, writes become visible within
 * {@link SolrSettings#commitWithin()} (bulk loads). An upsert is validated whole before anything is sent; a
 * node failing in the middle of a batch can leave part of it written (Solr has no multi-shard
 * transactions), and the client should retry the batch (upserts are idempotent).
 *
 * <p>Aliases are Solr's own (CREATEALIAS switches atomically in ZooKeeper). Quantization: float32 only;
 * Solr 9.10's {@code DenseVectorField} has no scalar-quantized format, so INT8 is refused.
 */
public final class SolrVectorStore implements VectorStore {

  static final String META_ID = "_kagami_collection";

  private record Meta(String name, int dimension, String model) {}

  private final SolrSettings settings;
  /** Dimension and model per physical collection: they never change while the collection exists. */
  private final java.util.concurrent.ConcurrentHashMap<String, Meta> metas = new java.util.concurrent.ConcurrentHashMap<>();
  private final SolrClients solr;
  private final CloudHttp2SolrClient client;

  public SolrVectorStore(SolrSettings settings) {
    this.settings = settings;
    this.solr = new SolrClients(settings.solrUrls(), settings.timeout());
    this.client = solr.client;
  }

  private <T> T call(String what, SolrClients.SolrCall<T> call) {
    return solr.call(what, call);
  }

  private long sizeOnDisk(String collection) {
    return solr.sizeOnDisk(collection);
  }

  private Map<String, java.util.Set<FieldValue.Kind>> fieldKinds(String collection, List<String> fields) {
    return solr.fieldKinds(collection, fields);
  }

  // ---------------------------------------------------------------- collections and aliases

  @Override
  public CollectionInfo createCollection(String name, int dimension, String model, Quantization quantization) {
    VectorStoreChecks.checkName("collection", name);
    VectorStoreChecks.checkDimension(dimension);
    if (quantization != Quantization.NONE) {
      throw new FailedPrecondition("the SolrCloud store keeps float32 vectors only (Solr 9.10 has no scalar-quantized "
          + "vector field); create the collection with quantization NONE");
    }
    synchronized (this) {
      if (aliases().containsKey(name)) {
        throw new InvalidInput("'" + name + "' is an alias; a collection cannot have an alias's name");
      }
      List<String> existing = call("listing collections", () -> CollectionAdminRequest.listCollections(client));
      if (existing.contains(name)) {
        Meta m = meta(name).orElseThrow(() -> new FailedPrecondition("Solr collection '" + name
            + "' exists but was not made by Kagami"));
        if (m.dimension() != dimension || !m.model().equals(model)) {
          throw new FailedPrecondition("collection '" + name + "' exists for " + m.model() + " (dimension "
              + m.dimension() + ", NONE), not " + model + " (dimension " + dimension + ", " + quantization + ")");
        }
        return info(m);
      }
      String config = ensureConfigSet(dimension);
      call("creating collection " + name, () -> CollectionAdminRequest.createCollection(name, config, settings.shards(),
          settings.replicas()).process(client));
      SolrInputDocument meta = new SolrInputDocument();
      meta.addField("id", META_ID);
      meta.addField("kind", "collection");
      meta.addField("meta.dimension", Integer.toString(dimension));
      meta.addField("meta.model", model);
      UpdateRequest u = new UpdateRequest();
      u.add(meta);
      u.setAction(AbstractUpdateRequest.ACTION.COMMIT, false, true, true);
      call("creating collection " + name, () -> u.process(client, name));
      return info(new Meta(name, dimension, model));
    }
  }

  private String ensureConfigSet(int dimension) {
    String name = String.format(Locale.ROOT, "kagami-d%d-m%d-b%d", dimension, settings.hnswM(), settings.hnswBeamWidth());
    List<String> sets = call("listing configsets", () -> new ConfigSetAdminRequest.List().process(client).getConfigSets());
    if (!sets.contains(name)) {
      byte[] zip = configSetZip(dimension, settings.hnswM(), settings.hnswBeamWidth());
      ConfigSetAdminRequest.Upload up = new ConfigSetAdminRequest.Upload().setConfigSetName(name)
          .setUploadStream(new ContentStreamBase.ByteArrayStream(zip, name + ".zip", "application/octet-stream"));
      call("uploading configset " + name, () -> up.process(client));
    }
    return name;
  }

  /** The configset for vectors of {@code dimension} (see {@link SolrConfigSet}). */
  static byte[] configSetZip(int dimension, int m, int beam) {
    return SolrConfigSet.zip(dimension, m, beam);
  }

  /**
   * The collection an alias points to (or the name itself), from the client's alias cache: refreshed at once
   * after this store switches an alias, within Solr's cache timeout (5 s) after another client does.
   */
  private String physical(String name) {
    try {
      return client.getClusterStateProvider().resolveSimpleAlias(name);
    } catch (IllegalArgumentException e) {
      throw new InvalidInput("'" + name + "' is an alias of several collections; Kagami searches one collection at a time");
    } catch (RuntimeException e) {
      throw new BackendUnavailable("resolving '" + name + "' failed: SolrCloud at " + settings.solrUrls()
          + " did not answer (" + e.getMessage() + ")", e);
    }
  }

  /** The Kagami metadata of a collection (or of the collection an alias points to); empty if none. */
  private Optional<Meta> meta(String name) {
    String physical = physical(name);
    Meta cached = metas.get(physical);
    if (cached != null) {
      return Optional.of(cached);
    }
    SolrDocument d;
    try {
      d = client.getById(physical, META_ID);
    } catch (SolrException e) {
      if (e.code() == 404 || e.code() == 400) {
        return Optional.empty();
      }
      throw new BackendUnavailable("reading collection " + name + " failed on SolrCloud (" + e.code() + "): "
          + e.getMessage(), e);
    } catch (SolrServerException | IOException | RuntimeException e) {
      if (e.getMessage() != null && e.getMessage().contains("not found")) {
        return Optional.empty();
      }
      throw new BackendUnavailable("reading collection " + name + " failed: SolrCloud at " + settings.solrUrls()
          + " did not answer (" + e.getMessage() + ")", e);
    }
    if (d == null) {
      return Optional.empty();
    }
    Meta m = new Meta(physical, Integer.parseInt((String) d.getFirstValue("meta.dimension")),
        (String) d.getFirstValue("meta.model"));
    metas.put(physical, m);
    return Optional.of(m);
  }

  private Meta require(String name) {
    VectorStoreChecks.checkName("collection", name);
    return meta(name).orElseThrow(() -> new NotFound("no collection or alias named '" + name + "'"));
  }

  @Override
  public List<CollectionInfo> collections() {
    List<String> names = call("listing collections", () -> CollectionAdminRequest.listCollections(client));
    List<CollectionInfo> out = new ArrayList<>();
    for (String n : names.stream().sorted().toList()) {
      meta(n).ifPresent(m -> out.add(info(m)));
    }
    return out;
  }

  @Override
  public CollectionInfo collection(String name) {
    return info(require(name));
  }

  @Override
  public CollectionSpec spec(String name) {
    Meta m = require(name);
    return new CollectionSpec(m.name(), m.dimension(), m.model(), Quantization.NONE);
  }

  private CollectionInfo info(Meta m) {
    SolrQuery q = new SolrQuery("kind:item").setRows(0);
    long count = call("counting " + m.name(), () -> client.query(m.name(), q)).getResults().getNumFound();
    return new CollectionInfo(m.name(), m.dimension(), m.model(), Quantization.NONE, count, sizeOnDisk(m.name()), 0);
  }

  @Override
  public synchronized void setAlias(String alias, String collection) {
    VectorStoreChecks.checkName("alias", alias);
    List<String> names = call("listing collections", () -> CollectionAdminRequest.listCollections(client));
    if (names.contains(alias)) {
      throw new InvalidInput("'" + alias + "' is a collection; an alias cannot have a collection's name");
    }
    if (!names.contains(collection)) {
      throw new NotFound("no collection named '" + collection + "' (an alias must point to a collection)");
    }
    call("pointing alias " + alias + " at " + collection,
        () -> CollectionAdminRequest.createAlias(alias, collection).process(client));
    if (client.getClusterStateProvider() instanceof org.apache.solr.client.solrj.impl.BaseHttpClusterStateProvider p) {
      p.resolveAlias(alias, true); // refresh this client's alias cache now
    }
  }

  @Override
  public Map<String, String> aliases() {
    Map<String, String> a = call("listing aliases", () -> new CollectionAdminRequest.ListAliases().process(client).getAliases());
    return Map.copyOf(a);
  }

  @Override
  public synchronized void deleteCollection(String name) {
    VectorStoreChecks.checkName("collection", name);
    List<String> pointing = aliases().entrySet().stream().filter(e -> e.getValue().equals(name)).map(Map.Entry::getKey)
        .sorted().toList();
    if (!pointing.isEmpty()) {
      throw new FailedPrecondition("collection '" + name + "' is in use by alias(es) " + pointing);
    }
    if (!call("listing collections", () -> CollectionAdminRequest.listCollections(client)).contains(name)) {
      throw new NotFound("no collection named '" + name + "'");
    }
    call("deleting collection " + name, () -> CollectionAdminRequest.deleteCollection(name).process(client));
    metas.remove(name);
  }

  // ---------------------------------------------------------------- items

  @Override
  public void upsert(String collection, List<IndexedItem> items) {
    Meta m = require(collection);
    VectorStoreChecks.checkItems(items, m.dimension());
    if (items.isEmpty()) {
      return;
    }
    UpdateRequest u = new UpdateRequest();
    for (IndexedItem it : items) {
      u.add(SolrDocuments.document(it));
    }
    send(m.name(), u, "upsert into " + collection);
  }

  private void send(String collection, UpdateRequest u, String what) {
    if (settings.visibleOnAck()) {
      u.setAction(AbstractUpdateRequest.ACTION.COMMIT, false, true, true);
    } else {
      u.setCommitWithin((int) settings.commitWithin().toMillis());
    }
    call(what, () -> u.process(client, collection));
  }

  @Override
  public int delete(String collection, List<String> ids) {
    Meta m = require(collection);
    List<String> unique = List.copyOf(new LinkedHashSet<>(ids));
    if (unique.isEmpty()) {
      return 0;
    }
    if (unique.contains(META_ID)) {
      throw new InvalidInput("'" + META_ID + "' is reserved");
    }
    ModifiableSolrParams fl = new ModifiableSolrParams().set("fl", "id");
    SolrDocumentList existing = call("delete from " + collection, () -> client.getById(m.name(), unique, fl));
    UpdateRequest u = new UpdateRequest();
    u.deleteById(unique);
    send(m.name(), u, "delete from " + collection);
    return existing.size();
  }

  @Override
  public Optional<IndexedItem> get(String collection, String id) {
    Meta m = require(collection);
    if (id.equals(META_ID)) {
      return Optional.empty();
    }
    SolrDocument d = call("get from " + collection, () -> client.getById(m.name(), id));
    return d == null ? Optional.empty() : Optional.of(SolrDocuments.item(d, m.dimension()));
  }

  @Override
  public void forEach(String collection, int batchSize, java.util.function.Consumer<List<IndexedItem>> consumer) {
    Meta m = require(collection);
    if (batchSize < 1) {
      throw new InvalidInput("batch size must be positive, is " + batchSize);
    }
    // a cursor on the unique key: each item once, even while other writes go on
    String cursor = org.apache.solr.common.params.CursorMarkParams.CURSOR_MARK_START;
    while (true) {
      SolrQuery q = new SolrQuery("kind:item").setRows(batchSize).setSort("id", SolrQuery.ORDER.asc)
          .setFields("id", "vector", "img", "s.*", "n.*");
      q.set(org.apache.solr.common.params.CursorMarkParams.CURSOR_MARK_PARAM, cursor);
      QueryResponse r = call("scanning " + collection, () -> client.query(m.name(), q));
      List<IndexedItem> batch = new ArrayList<>();
      for (SolrDocument d : r.getResults()) {
        batch.add(SolrDocuments.item(d, m.dimension()));
      }
      if (!batch.isEmpty()) {
        consumer.accept(batch);
      }
      String next = r.getNextCursorMark();
      if (next == null || next.equals(cursor)) {
        return;
      }
      cursor = next;
    }
  }

  @Override
  public List<Hit> search(String collection, float[] query, int k, Filter filter) {
    Meta m = require(collection);
    VectorStoreChecks.checkVector("query vector", query, m.dimension());
    if (k < 1 || k > 10_000) {
      throw new InvalidInput("k must be in 1..10000, is " + k);
    }
    StringBuilder vec = new StringBuilder(query.length * 12).append('[');
    for (int i = 0; i < query.length; i++) {
      vec.append(i == 0 ? "" : ",").append(query[i]);
    }
    vec.append(']');
    VectorStoreChecks.checkFilter(filter, fields -> fieldKinds(m.name(), List.copyOf(fields)));
    int candidates = Math.min(10_000, Math.max(k, settings.searchCandidates()));
    SolrQuery q = new SolrQuery("{!knn f=vector topK=" + candidates + "}" + vec).setRows(k)
        .setFields("id", "score", "img", "s.*", "n.*");
    for (Filter.Clause c : filter.clauses()) {
      q.addFilterQuery(SolrDocuments.filterQuery(c));
    }
    // POST: a 512-dimension vector does not fit a URL comfortably
    QueryResponse r = call("search in " + collection,
        () -> client.query(m.name(), q, org.apache.solr.client.solrj.SolrRequest.METHOD.POST));
    List<Hit> hits = new ArrayList<>();
    for (SolrDocument d : r.getResults()) {
      float score = ((Number) d.getFirstValue("score")).floatValue();
      // Lucene scores DOT_PRODUCT as (1 + dot) / 2; report the cosine
      hits.add(new Hit((String) d.getFirstValue("id"), 2 * score - 1, SolrDocuments.metadata(d), (String) d.getFirstValue("img")));
    }
    return hits;
  }

  @Override
  public void optimize(String collection) {
    Meta m = require(collection);
    call("optimizing " + collection, () -> solr.maintenance.optimize(m.name(), true, true, 1));
  }

  /** Makes pending writes visible (after bulk loads with {@code visibleOnAck=false}). */
  public void commit(String collection) {
    Meta m = require(collection);
    call("committing " + collection, () -> client.commit(m.name(), true, true));
  }

  @Override
  public void close() {
    solr.close();
  }
}
