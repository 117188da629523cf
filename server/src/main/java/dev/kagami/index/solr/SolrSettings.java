package dev.kagami.index.solr;

import java.time.Duration;
import java.util.List;

/**
 * How to reach and shape the cluster.
 *
 * @param solrUrls base URLs of one or more Solr nodes, e.g. {@code http://solr-0:8983/solr}
 * @param shards shards of a new collection
 * @param replicas replicas per shard of a new collection
 * @param hnswM max connections per graph node
 * @param hnswBeamWidth candidates kept while inserting a node
 * @param searchCandidates candidates explored per search ({@code topK} of Solr's knn parser, at least k)
 * @param visibleOnAck soft-commit every write, so reads see it at once
 * @param commitWithin without {@code visibleOnAck}, the longest a write stays invisible
 * @param timeout per-request timeout
 */
public record SolrSettings(List<String> solrUrls, int shards, int replicas, int hnswM, int hnswBeamWidth, int searchCandidates,
    boolean visibleOnAck, Duration commitWithin, Duration timeout) {

  public SolrSettings {
    solrUrls = List.copyOf(solrUrls);
    if (solrUrls.isEmpty() || shards < 1 || replicas < 1 || hnswM < 2 || hnswBeamWidth < 1 || searchCandidates < 1) {
      throw new IllegalArgumentException("invalid SolrCloud settings " + solrUrls + ", shards " + shards + ", replicas "
          + replicas);
    }
  }

  public static SolrSettings of(List<String> solrUrls) {
    return new SolrSettings(solrUrls, 2, 2, 16, 100, 100, true, Duration.ofSeconds(1), Duration.ofSeconds(60));
  }

  public SolrSettings withLayout(int shards, int replicas) {
    return new SolrSettings(solrUrls, shards, replicas, hnswM, hnswBeamWidth, searchCandidates, visibleOnAck, commitWithin,
        timeout);
  }

  public SolrSettings withGraph(int m, int beam, int candidates) {
    return new SolrSettings(solrUrls, shards, replicas, m, beam, candidates, visibleOnAck, commitWithin, timeout);
  }

  public SolrSettings withCommitWithin(Duration d) {
    return new SolrSettings(solrUrls, shards, replicas, hnswM, hnswBeamWidth, searchCandidates, visibleOnAck, d, timeout);
  }

  public SolrSettings withVisibleOnAck(boolean v) {
    return new SolrSettings(solrUrls, shards, replicas, hnswM, hnswBeamWidth, searchCandidates, v, commitWithin, timeout);
  }
}
