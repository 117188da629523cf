package dev.kagami.index;

import dev.kagami.index.VectorStore.Quantization;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * One open collection of {@link LuceneVectorStore}: its Lucene writer and searchers, its write-ahead log and
 * quarantine, and the state its writes and commits share. {@link Opener} opens one (replaying its log,
 * setting aside what cannot be applied) and applies logged operations to it.
 */
final class LuceneCollection {

  final String name;
  final int dimension;
  final String model;
  final Quantization quantization;
  final Path dir;
  final Directory directory;
  final IndexWriter writer;
  final SearcherManager searchers;
  final WriteAheadLog wal;
  final Quarantine quarantine;
  /** Writes not yet visible to searchers. */
  final AtomicBoolean stale = new AtomicBoolean();
  /** Writes not yet in a Lucene commit (guarded by the collection's monitor). */
  boolean uncommitted;
  /** One commit at a time. */
  final Object commitLock = new Object();
  /** Set when a write failed half-way: the collection takes no more writes until it is reopened. */
  volatile String broken;

  LuceneCollection(String name, int dimension, String model, Quantization quantization, Path dir, Directory directory,
      IndexWriter writer, WriteAheadLog wal, Quarantine quarantine) throws IOException {
    this.name = name;
    this.dimension = dimension;
    this.model = model;
    this.quantization = quantization;
    this.dir = dir;
    this.directory = directory;
    this.writer = writer;
    this.wal = wal;
    this.quarantine = quarantine;
    this.searchers = new SearcherManager(writer, null);
  }

  Map<String, String> commitData(long walGeneration) {
    return Map.of(LuceneVectorStore.DIMENSION, Integer.toString(dimension), LuceneVectorStore.MODEL, model, LuceneVectorStore.QUANTIZATION, quantization.name(),
        LuceneVectorStore.WAL_GENERATION, Long.toString(walGeneration));
  }

  /** Opens collections and applies operations, with the store's settings, log files and thread pools. */
  static final class Opener {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(LuceneVectorStore.class);
    private final LuceneSettings settings;
    private final WalFiles.Factory walFiles;
    private final ExecutorService mergeExecutor;
    private final ExecutorService writeExecutor;

    Opener(LuceneSettings settings, WalFiles.Factory walFiles, ExecutorService mergeExecutor,
        ExecutorService writeExecutor) {
      this.settings = settings;
      this.walFiles = walFiles;
      this.mergeExecutor = mergeExecutor;
      this.writeExecutor = writeExecutor;
    }

    /** Opens (or, with dimension >= 0, creates) a collection; null for a folder that holds no collection. */
    LuceneCollection open(String name, Path dir, int dimension, String model, Quantization q) throws IOException {
      Directory directory = FSDirectory.open(dir);
      boolean exists = DirectoryReader.indexExists(directory);
      if (!exists && dimension < 0) {
        directory.close();
        return null;
      }
      Quantization quantization = q;
      Map<String, String> data = new HashMap<>();
      if (exists) {
        try (DirectoryReader r = DirectoryReader.open(directory)) {
          data.putAll(r.getIndexCommit().getUserData());
        }
        if (!data.containsKey(LuceneVectorStore.DIMENSION) || !data.containsKey(LuceneVectorStore.MODEL)) {
          directory.close();
          throw new IOException(dir + " is a Lucene index without Kagami's collection data");
        }
        quantization = Quantization.valueOf(data.getOrDefault(LuceneVectorStore.QUANTIZATION, "NONE"));
      }
      IndexWriterConfig cfg = new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
          .setCodec(codec(quantization)).setRAMBufferSizeMB(settings.ramBufferMb())
          .setCommitOnClose(false); // close() commits explicitly, with the log generation
      IndexWriter writer = null;
      WriteAheadLog wal = null;
      try {
        writer = new IndexWriter(directory, cfg);
        WalFiles files = walFiles.open(dir.resolve("wal"));
        wal = new WriteAheadLog(files);
        Quarantine quarantine = new Quarantine(files);
        LuceneCollection c;
        if (!exists) {
          c = new LuceneCollection(name, dimension, model, quantization, dir, directory, writer, wal, quarantine);
        } else {
          c = new LuceneCollection(name, Integer.parseInt(data.get(LuceneVectorStore.DIMENSION)), data.get(LuceneVectorStore.MODEL), quantization, dir, directory,
              writer, wal, quarantine);
          // replay what was acknowledged after the last commit
          for (WriteAheadLog.Replayed r : wal.replayRecords(Long.parseLong(data.getOrDefault(LuceneVectorStore.WAL_GENERATION, "0")))) {
            replay(c, r);
          }
        }
        c.stale.set(true); // the searcher opened before the replay
        long gen = wal.generation();
        writer.setLiveCommitData(c.commitData(gen).entrySet());
        writer.commit();
        wal.deleteBefore(gen);
        return c;
      } catch (IOException | RuntimeException e) {
        if (writer != null) {
          writer.rollback();
        }
        if (wal != null) {
          wal.close();
        }
        directory.close();
        throw e;
      }
    }

    /**
     * Applies one replayed record, or sets it aside: a record that does not decode, fails the checks a live
     * write passes, or that Lucene refuses, goes to the collection's quarantine (logged once), and replay goes on.
     */
    private void replay(LuceneCollection c, WriteAheadLog.Replayed r) throws IOException {
      String reason;
      try {
        WriteAheadLog.Op op = WriteAheadLog.decode(r.payload());
        if (op instanceof WriteAheadLog.Upsert u) {
          VectorStoreChecks.checkItems(u.items(), c.dimension);
        }
        apply(c, op);
        return;
      } catch (IOException | dev.kagami.error.KagamiException | IllegalArgumentException e) {
        // IOException: the record does not decode; the others: it is not a write the store can take (Lucene
        // refuses such a document without harming the index, an IllegalArgumentException)
        reason = e.getMessage();
      }
      c.quarantine.add(r, reason);
      LOG.errorf("collection %s: write-ahead log record at generation %d, byte %d cannot be applied and is set aside in "
          + "%s (%d set aside in all): %s", c.name, r.generation(), r.offset(), Quarantine.FILE, c.quarantine.count(), reason);
    }

    void apply(LuceneCollection c, WriteAheadLog.Op op) throws IOException {
      if (op instanceof WriteAheadLog.Upsert u) {
        List<List<IndexedItem>> parts = partition(u.items(), writeExecutor == null ? 1 : settings.writerThreads());
        if (parts.size() == 1) {
          index(c, parts.get(0));
          return;
        }
        // Lucene gives each indexing thread a segment of its own, so the graph inserts run in parallel
        List<Future<?>> running = new ArrayList<>();
        for (List<IndexedItem> part : parts.subList(1, parts.size())) {
          running.add(writeExecutor.submit(() -> {
            index(c, part);
            return null;
          }));
        }
        Throwable failure = null;
        try {
          index(c, parts.get(0));
        } catch (IOException | RuntimeException e) {
          failure = e;
        }
        for (Future<?> f : running) {
          try {
            f.get();
          } catch (ExecutionException e) {
            failure = failure == null ? e.getCause() : failure;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = failure == null ? e : failure;
          }
        }
        if (failure instanceof IOException io) {
          throw io;
        } else if (failure instanceof RuntimeException re) {
          throw re;
        } else if (failure != null) {
          throw new IOException("applying an upsert failed: " + failure, failure);
        }
      } else if (op instanceof WriteAheadLog.Delete d) {
        c.writer.deleteDocuments(d.ids().stream().map(id -> new Term("id", id)).toArray(Term[]::new));
      }
    }

    private static void index(LuceneCollection c, List<IndexedItem> items) throws IOException {
      for (IndexedItem it : items) {
        c.writer.updateDocument(new Term("id", it.id()), LuceneDocuments.document(it));
      }
    }

    /**
     * Splits a batch into at most {@code parts} runs of consecutive items. An id appears at most once in a batch
     * and batches are applied one after another, so the parts may run in any order. Small batches stay whole
     * (a thread hand-off costs more than it saves).
     */
    static List<List<IndexedItem>> partition(List<IndexedItem> items, int parts) {
      if (parts <= 1 || items.size() < 2 * parts) {
        return List.of(items);
      }
      List<List<IndexedItem>> out = new ArrayList<>(parts);
      for (int i = 0; i < parts; i++) {
        out.add(items.subList(i * items.size() / parts, (i + 1) * items.size() / parts));
      }
      return out;
    }

    /** The codec: Lucene 9.12's, with the vector format of the collection's quantization. */
    private org.apache.lucene.codecs.Codec codec(Quantization q) {
      int m = settings.hnswM();
      int beam = settings.hnswBeamWidth();
      int workers = settings.mergeWorkers();
      org.apache.lucene.codecs.KnnVectorsFormat format = q == Quantization.INT8
          ? new org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat(m, beam, workers, 7, false,
              null, mergeExecutor)
          : new org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat(m, beam, workers, mergeExecutor);
      return new org.apache.lucene.codecs.lucene912.Lucene912Codec() {
        @Override
        public org.apache.lucene.codecs.KnnVectorsFormat getKnnVectorsFormatForField(String field) {
          return format;
        }
      };
    }
  }
}
