package dev.kagami.index;

import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.index.VectorStore.Quantization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;

/**
 * The read side of {@link LuceneVectorStore}: get by id, scan in batches, vector search with filters (and
 * int8 rescoring). Every read sees every acknowledged write (the searcher is refreshed when writes are
 * pending); an I/O failure is {@link BackendUnavailable}.
 */
final class LuceneReads {

  private LuceneReads() {}

  /** A searcher that sees every acknowledged write; release it with {@code c.searchers.release}. */
  static IndexSearcher searcher(LuceneCollection c) throws IOException {
    if (c.stale.getAndSet(false)) {
      c.searchers.maybeRefreshBlocking();
    }
    return c.searchers.acquire();
  }

  static Optional<IndexedItem> get(LuceneCollection c, String id) {
    try {
      IndexSearcher s = searcher(c);
      try {
        TopDocs td = s.search(new TermQuery(new Term("id", id)), 1);
        if (td.scoreDocs.length == 0) {
          return Optional.empty();
        }
        return Optional.of(LuceneDocuments.item(s.storedFields().document(td.scoreDocs[0].doc), c.dimension));
      } finally {
        c.searchers.release(s);
      }
    } catch (IOException e) {
      throw new BackendUnavailable("reading the index failed: " + e.getMessage(), e);
    }
  }

  static void forEach(LuceneCollection c, int batchSize, java.util.function.Consumer<List<IndexedItem>> consumer) {
    if (batchSize < 1) {
      throw new InvalidInput("batch size must be positive, is " + batchSize);
    }
    try {
      IndexSearcher s = searcher(c);
      try {
        List<IndexedItem> batch = new ArrayList<>(batchSize);
        for (org.apache.lucene.index.LeafReaderContext leaf : s.getIndexReader().leaves()) {
          org.apache.lucene.util.Bits live = leaf.reader().getLiveDocs();
          org.apache.lucene.index.StoredFields stored = leaf.reader().storedFields();
          for (int doc = 0; doc < leaf.reader().maxDoc(); doc++) {
            if (live != null && !live.get(doc)) {
              continue;
            }
            batch.add(LuceneDocuments.item(stored.document(doc), c.dimension));
            if (batch.size() == batchSize) {
              consumer.accept(List.copyOf(batch));
              batch.clear();
            }
          }
        }
        if (!batch.isEmpty()) {
          consumer.accept(List.copyOf(batch));
        }
      } finally {
        c.searchers.release(s);
      }
    } catch (IOException e) {
      throw new BackendUnavailable("reading the index failed: " + e.getMessage(), e);
    }
  }

  static List<Hit> search(LuceneCollection c, float[] query, int k, Filter filter, int searchCandidates) {
    VectorStoreChecks.checkVector("query vector", query, c.dimension);
    if (k < 1 || k > 10_000) {
      throw new InvalidInput("k must be in 1..10000, is " + k);
    }
    try {
      IndexSearcher s = searcher(c);
      try {
        VectorStoreChecks.checkFilter(filter, fields -> LuceneDocuments.fieldKinds(s.getIndexReader()));
        Query fq = LuceneDocuments.filterQuery(filter);
        // Explore more candidates than asked for (as Elasticsearch's num_candidates), then keep the best k:
        // recall rises at a small cost.
        int candidates = Math.min(10_000, Math.max(k, searchCandidates));
        KnnFloatVectorQuery knn = new KnnFloatVectorQuery("vector", query, candidates, fq);
        ScoreDoc[] top;
        if (c.quantization == Quantization.INT8) {
          // the graph walk scored int8 vectors; rescore every candidate with its float vector, keep the best k
          top = LuceneDocuments.rescore(s, s.search(knn, candidates).scoreDocs, query, k);
        } else {
          top = s.search(knn, k).scoreDocs;
          for (ScoreDoc sd : top) {
            sd.score = 2 * sd.score - 1; // Lucene scores DOT_PRODUCT as (1 + dot) / 2; report the cosine
          }
        }
        List<Hit> hits = new ArrayList<>(top.length);
        for (ScoreDoc sd : top) {
          Document d = s.storedFields().document(sd.doc);
          hits.add(new Hit(d.get("id"), sd.score, LuceneDocuments.metadata(d), d.get("img")));
        }
        return hits;
      } finally {
        c.searchers.release(s);
      }
    } catch (IOException e) {
      throw new BackendUnavailable("reading the index failed: " + e.getMessage(), e);
    }
  }

  /** The collection's description: live items, bytes on disk (files a merge deletes meanwhile are not counted). */
  static CollectionInfo info(LuceneCollection c) {
    try {
      IndexSearcher s = searcher(c);
      try {
        long size = 0;
        for (String f : c.directory.listAll()) {
          try {
            size += c.directory.fileLength(f);
          } catch (IOException e) {
            // a file deleted while listing (merges): not counted
          }
        }
        return new CollectionInfo(c.name, c.dimension, c.model, c.quantization, s.getIndexReader().numDocs(), size,
            c.quarantine.count());
      } finally {
        c.searchers.release(s);
      }
    } catch (IOException e) {
      throw new BackendUnavailable("reading the index failed: " + e.getMessage(), e);
    }
  }
}
