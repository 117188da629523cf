package dev.kagami.bench;

import dev.kagami.index.solr.SolrSettings;
import dev.kagami.index.solr.SolrVectorStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * The index bench against SolrCloud: a {@link MiniSolrCloudCluster} (ZooKeeper and Solr nodes in this JVM,
 * talking HTTP as separate servers would), the Kagami SolrCloud store, the same data, exact answers and
 * figures as {@link IndexBench}. Ingest uses commitWithin (not a soft commit per batch), then one commit and
 * an optimize, as a bulk load would.
 *
 * <pre>bin/kagami-bench-index --solr [--vectors 100000] [--data random|lowrank] [--nodes 2] [--shards 2] [--replicas 1]
 *     [--ef 100,200]</pre>
 */
public final class SolrIndexBench {

  public static void main(String[] argv) throws Exception {
    int n = 100_000;
    int dim = 512;
    int queries = 200;
    int warmups = 500;
    int nodes = 2;
    int shards = 2;
    int replicas = 1;
    List<Integer> efs = List.of(100);
    String kind = "random";
    java.time.Duration commitWithin = java.time.Duration.ofSeconds(1);
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--vectors" -> n = Integer.parseInt(argv[++i]);
        case "--dim" -> dim = Integer.parseInt(argv[++i]);
        case "--queries" -> queries = Integer.parseInt(argv[++i]);
        case "--warmup" -> warmups = Integer.parseInt(argv[++i]);
        case "--nodes" -> nodes = Integer.parseInt(argv[++i]);
        case "--shards" -> shards = Integer.parseInt(argv[++i]);
        case "--replicas" -> replicas = Integer.parseInt(argv[++i]);
        case "--ef" -> efs = Arrays.stream(argv[++i].split(",")).map(Integer::parseInt).toList();
        case "--data" -> kind = argv[++i];
        case "--commit-within" -> commitWithin = java.time.Duration.ofSeconds(Long.parseLong(argv[++i]));
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    System.out.printf(Locale.ROOT, "SolrCloud index bench: %d %s unit vectors of %d dimensions, %d queries after %d warm-up queries, top-10, %d cores, "
            + "Java %s, Solr 9.10.1 in-process: %d nodes, %d shards x %d replicas, HNSW M=16 beamWidth=100%n",
        n, kind, dim, queries, warmups, Runtime.getRuntime().availableProcessors(), Runtime.version(), nodes, shards, replicas);
    IndexBench.Data data = IndexBench.generate(kind, n, dim, queries, warmups);
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "solr-bench");
    MiniSolrCloudCluster cluster = new MiniSolrCloudCluster.Builder(nodes, dir).build();
    try {
      List<String> urls = cluster.getJettySolrRunners().stream().map(JettySolrRunner::getBaseUrl).map(Object::toString).toList();
      SolrSettings base = SolrSettings.of(urls).withLayout(shards, replicas).withVisibleOnAck(false)
          .withCommitWithin(commitWithin);
      try (SolrVectorStore s = new SolrVectorStore(base)) {
        s.createCollection("bench", dim, "bench/1");
        double ingestSec = IndexBench.ingest(s, "bench", data);
        long c0 = System.nanoTime();
        s.commit("bench");
        double commitSec = (System.nanoTime() - c0) / 1e9;
        System.out.printf(Locale.ROOT, "solrcloud: ingest %.0f vectors/s (batches of 1000, commitWithin %s), final commit %.0f s%n",
            n / ingestSec, base.commitWithin(), commitSec);
        long m0 = System.nanoTime();
        s.optimize("bench");
        double mergeSec = (System.nanoTime() - m0) / 1e9;
        System.out.printf(Locale.ROOT, "solrcloud: optimize %.0f s, size %.1f MB (shard leaders)%n", mergeSec,
            s.collection("bench").sizeOnDiskBytes() / 1e6);
      }
      for (int ef : efs) {
        try (SolrVectorStore s = new SolrVectorStore(base.withGraph(16, 100, ef))) {
          IndexBench.measure(String.format(Locale.ROOT, "solrcloud ef=%-4d", ef), s, "bench", data);
        }
      }
    } catch (Exception e) {
      e.printStackTrace(); // the bench's own failure first: a failed shutdown below must not hide it
      throw e;
    } finally {
      cluster.shutdown();
    }
  }
}
