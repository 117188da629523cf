package dev.kagami.index.solr;

import dev.kagami.error.KagamiException;
import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.index.FieldValue;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.solr.client.solrj.SolrQuery;
import org.apache.solr.client.solrj.SolrServerException;
import org.apache.solr.client.solrj.impl.CloudHttp2SolrClient;
import org.apache.solr.client.solrj.impl.Http2SolrClient;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.client.solrj.request.CoreAdminRequest;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrException;
import org.apache.solr.common.util.NamedList;

/**
 * The SolrCloud store's connections and the one place Solr's failures become Kagami's: a client for
 * requests with the configured timeout and one for maintenance (an optimize answers only when it is done),
 * plus the reads that need node-level requests (index size per shard leader) or facets (field kinds).
 */
final class SolrClients {

  /** The longest an optimize may take (or the request timeout, if longer). */
  static final Duration MAINTENANCE_TIMEOUT = Duration.ofMinutes(30);

  private final List<String> solrUrls;
  private final Http2SolrClient http;
  final CloudHttp2SolrClient client;
  /** For optimize: merging a shard to one segment rebuilds its HNSW graph, minutes at 100k vectors. */
  private final Http2SolrClient maintenanceHttp;
  final CloudHttp2SolrClient maintenance;

  SolrClients(List<String> solrUrls, Duration timeout) {
    this.solrUrls = solrUrls;
    this.http = new Http2SolrClient.Builder().withConnectionTimeout(10, TimeUnit.SECONDS)
        .withRequestTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).build();
    this.client = new CloudHttp2SolrClient.Builder(solrUrls).withHttpClient(http).build();
    long maintenanceMillis = Math.max(timeout.toMillis(), MAINTENANCE_TIMEOUT.toMillis());
    // the idle timeout too: an optimize sends nothing back until it is done (SolrJ's default idle timeout,
    // 10 minutes, cut a 1M-vector optimize short)
    this.maintenanceHttp = new Http2SolrClient.Builder().withConnectionTimeout(10, TimeUnit.SECONDS)
        .withRequestTimeout(maintenanceMillis, TimeUnit.MILLISECONDS)
        .withIdleTimeout(maintenanceMillis, TimeUnit.MILLISECONDS).build();
    this.maintenance = new CloudHttp2SolrClient.Builder(solrUrls).withHttpClient(maintenanceHttp).build();
  }

  /** Runs one call to Solr, turning its failures into Kagami's. */
  <T> T call(String what, SolrCall<T> call) {
    try {
      return call.run();
    } catch (KagamiException e) {
      throw e;
    } catch (SolrException e) {
      if (e.code() == 404) {
        throw new NotFound(what + ": " + e.getMessage());
      }
      if (e.code() == 400) {
        throw new InvalidInput(what + ": " + e.getMessage());
      }
      throw new BackendUnavailable(what + " failed on SolrCloud (" + e.code() + "): " + e.getMessage(), e);
    } catch (SolrServerException | IOException | RuntimeException e) {
      throw new BackendUnavailable(what + " failed: SolrCloud at " + solrUrls + " did not answer ("
          + e.getMessage() + ")", e);
    }
  }

  @FunctionalInterface
  interface SolrCall<T> {
    T run() throws SolrServerException, IOException;
  }

  /**
   * Index bytes of the collection's shard leaders (replicas hold copies): the leaders from COLSTATUS, then
   * each leader core's current index size from its node's core STATUS (COLSTATUS itself reports only the
   * last hard commit, which lags soft commits).
   */
  long sizeOnDisk(String collection) {
    NamedList<Object> r = call("collection status of " + collection,
        () -> CollectionAdminRequest.collectionStatus(collection).process(client).getResponse());
    long total = 0;
    if (r.get(collection) instanceof NamedList<?> c && c.get("shards") instanceof NamedList<?> shards) {
      for (Map.Entry<String, ?> shard : shards) {
        if (shard.getValue() instanceof NamedList<?> s && s.get("leader") instanceof NamedList<?> leader) {
          String baseUrl = (String) leader.get("base_url");
          String core = (String) leader.get("core");
          NamedList<Object> status = call("core status of " + core,
              () -> http.requestWithBaseUrl(baseUrl, null, new CoreAdminRequest() {
                {
                  setAction(org.apache.solr.common.params.CoreAdminParams.CoreAdminAction.STATUS);
                  setCoreName(core);
                }
              })).getCoreStatus(core);
          if (status != null && status.get("index") instanceof NamedList<?> index
              && index.get("sizeInBytes") instanceof Number n) {
            total += n.longValue();
          }
        }
      }
    }
    return total;
  }

  /**
   * The kinds of value the filtered fields hold over the whole collection (every shard): one request that
   * counts, per field, the items with a text and with a number value.
   */
  Map<String, java.util.Set<FieldValue.Kind>> fieldKinds(String collection, List<String> fields) {
    SolrQuery q = new SolrQuery("kind:item").setRows(0).setFacet(true).setFacetMinCount(0);
    for (int i = 0; i < fields.size(); i++) {
      String f = fields.get(i); // a valid field name: VectorStoreChecks.checkFilter checked it first
      q.addFacetQuery("{!key=t" + i + "}s." + f + ":*");
      q.addFacetQuery("{!key=n" + i + "}n." + f + ":[* TO *]");
    }
    QueryResponse r = call("field kinds of " + collection, () -> client.query(collection, q));
    Map<String, java.util.Set<FieldValue.Kind>> kinds = new HashMap<>();
    Map<String, Integer> counts = r.getFacetQuery();
    for (int i = 0; i < fields.size(); i++) {
      java.util.Set<FieldValue.Kind> has = java.util.EnumSet.noneOf(FieldValue.Kind.class);
      if (counts.getOrDefault("t" + i, 0) > 0) {
        has.add(FieldValue.Kind.TEXT);
      }
      if (counts.getOrDefault("n" + i, 0) > 0) {
        has.add(FieldValue.Kind.NUMBER);
      }
      kinds.put(fields.get(i), has);
    }
    return kinds;
  }

  void close() {
    for (CloudHttp2SolrClient c : List.of(client, maintenance)) {
      try {
        c.close();
      } catch (IOException e) {
        // closing a client releases connections; nothing is lost
      }
    }
    http.close();
    maintenanceHttp.close();
  }
}
