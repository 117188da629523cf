package dev.kagami.config;

import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** The embedded vector index and the kept images. */
public interface IndexConfig {
  /** Folder of the Lucene collections. */
  @WithDefault("${kagami.data-dir}/index")
  Path root();

  /** Folder of the kept images (content-addressed by SHA-256). */
  @WithDefault("${kagami.data-dir}/images")
  Path images();

  /** Threads that write to and search the index. */
  @WithDefault("2")
  int threads();

  /** Index operations that may wait; beyond this, RESOURCE_EXHAUSTED. */
  @WithDefault("256")
  int queueCapacity();

  /** Which store keeps the vectors: {@code lucene} (embedded, under {@link #root()}) or {@code solr} (SolrCloud). */
  @WithDefault("lucene")
  KagamiConfig.StoreKind store();

  /** HNSW max connections per node, for new segments (Lucene) or new collections (Solr). */
  @WithDefault("16")
  int hnswM();

  /** HNSW beam width while building the graph. */
  @WithDefault("100")
  int hnswBeamWidth();

  /** Candidates explored per search (at least k): more is higher recall and slower; see docs/bench-index.md. */
  @WithDefault("100")
  int searchCandidates();

  /**
   * Lucene: longest time an acknowledged write stays only in the write-ahead log before a commit. Longer
   * means fewer, larger segments under load (less merging) and a longer log to replay after a crash.
   */
  @WithDefault("60s")
  java.time.Duration commitInterval();

  /**
   * Lucene: threads that apply one upsert batch (graph building is most of an upsert's cost; each thread
   * builds a segment of its own). Unset: one per core, at most 4.
   */
  java.util.OptionalInt writerThreads();

  Solr solr();

  /** The SolrCloud store. */
  interface Solr {
    /** Base URLs of Solr nodes, comma-separated, e.g. {@code http://solr-0.solr:8983/solr}. Required for {@code store=solr}. */
    java.util.Optional<java.util.List<String>> urls();

    /** Shards of a new collection. */
    @WithDefault("2")
    int shards();

    /** Replicas per shard of a new collection. */
    @WithDefault("2")
    int replicas();

    /** Per-request timeout. */
    @WithDefault("60s")
    java.time.Duration timeout();
  }
}
