package dev.kagami.app;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.error.KagamiException.Overloaded;
import dev.kagami.index.ImageStore;
import dev.kagami.index.LuceneSettings;
import dev.kagami.index.LuceneVectorStore;
import dev.kagami.index.VectorStore;
import dev.kagami.index.solr.SolrSettings;
import dev.kagami.index.solr.SolrVectorStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The vector store (Lucene or SolrCloud, by {@code kagami.index.store}), the image store, and the bounded pool that runs their blocking I/O off the event loop. */
@ApplicationScoped
@io.quarkus.runtime.Startup
public class IndexResources {

  /** Fired once the store has opened its collections; {@code unavailable}: those that could not open, with why. */
  public record Opened(Map<String, String> unavailable) {}

  private final VectorStore store;
  private final ImageStore images;
  private final ThreadPoolExecutor pool;

  public IndexResources(KagamiConfig config, jakarta.enterprise.event.Event<Opened> opened, ThreadPools threads) {
    dev.kagami.config.IndexConfig c = config.index();
    this.store = switch (c.store()) {
      case LUCENE -> {
        LuceneSettings s = LuceneSettings.defaults().withGraph(c.hnswM(), c.hnswBeamWidth())
            .withSearchCandidates(c.searchCandidates()).withCommitInterval(c.commitInterval());
        yield new LuceneVectorStore(c.root(), c.writerThreads().isPresent()
            ? s.withWriterThreads(c.writerThreads().getAsInt()) : s, threads);
      }
      case SOLR -> {
        java.util.List<String> urls = c.solr().urls().filter(u -> !u.isEmpty()).orElseThrow(() -> new IllegalArgumentException(
            "kagami.index.store=solr needs kagami.index.solr.urls (base URLs of Solr nodes, comma-separated)"));
        SolrSettings s = SolrSettings.of(urls).withLayout(c.solr().shards(), c.solr().replicas())
            .withGraph(c.hnswM(), c.hnswBeamWidth(), c.searchCandidates());
        yield new SolrVectorStore(new SolrSettings(s.solrUrls(), s.shards(), s.replicas(), s.hnswM(),
            s.hnswBeamWidth(), s.searchCandidates(), true, s.commitWithin(), c.solr().timeout()));
      }
    };
    this.images = new ImageStore(c.images());
    opened.fire(new Opened(store.unavailableCollections()));
    this.pool = threads.bounded("index", c.threads(), c.queueCapacity());
  }

  public VectorStore store() {
    return store;
  }

  public ImageStore images() {
    return images;
  }

  /** Runs blocking index work on the index pool; RESOURCE_EXHAUSTED when its queue is full. */
  public <T> CompletableFuture<T> run(Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, pool);
    } catch (RejectedExecutionException e) {
      if (pool.isShutdown()) {
        throw new dev.kagami.error.KagamiException.ShuttingDown();
      }
      throw new Overloaded("index queue is full; retry with backoff");
    }
  }

  @PreDestroy
  void close() {
    pool.shutdown();
    try {
      pool.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }
}
