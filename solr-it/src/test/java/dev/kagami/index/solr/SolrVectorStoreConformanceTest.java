package dev.kagami.index.solr;

import dev.kagami.index.VectorStore;
import dev.kagami.index.VectorStoreConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store conformance suite against a 3-node SolrCloud, collections of 2 shards x 2 replicas. */
class SolrVectorStoreConformanceTest extends VectorStoreConformance {

  static SolrCloud cloud;
  static SolrVectorStore store;

  @BeforeAll
  static void start() throws Exception {
    cloud = new SolrCloud(3);
    store = new SolrVectorStore(SolrSettings.of(cloud.urls()).withLayout(2, 2));
  }

  @AfterAll
  static void stop() throws Exception {
    if (store != null) {
      store.close();
    }
    if (cloud != null) {
      cloud.close();
    }
  }

  @Override
  protected VectorStore store() {
    return store;
  }
}
