package dev.kagami.index.solr;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A real SolrCloud for tests: ZooKeeper and {@code nodes} Solr nodes (Jetty), in this JVM, on free ports,
 * from solr-test-framework's {@link MiniSolrCloudCluster}. Nothing is installed on it: the store uploads its
 * own configset.
 */
final class SolrCloud implements AutoCloseable {

  final MiniSolrCloudCluster cluster;
  final Path dir;

  SolrCloud(int nodes) throws Exception {
    this.dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "solrcloud");
    this.cluster = new MiniSolrCloudCluster.Builder(nodes, dir).build();
  }

  List<String> urls() {
    return cluster.getJettySolrRunners().stream().map(JettySolrRunner::getBaseUrl).map(Object::toString).toList();
  }

  @Override
  public void close() throws Exception {
    cluster.shutdown();
  }
}
