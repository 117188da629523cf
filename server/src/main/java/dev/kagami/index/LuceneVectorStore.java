package dev.kagami.index;

import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.VectorUtil;

/**
 * The embedded vector store: one Lucene index per collection under {@code root/<collection>/}, vectors
 * in an HNSW graph ({@link KnnFloatVectorField}, dot product on unit vectors, which is cosine).
 *
 * <p>Document layout: {@code id} (indexed string, stored), {@code vector} (HNSW), {@code vec} (the vector,
 * stored as little-endian float32 for {@link #get}), {@code img} (stored image reference), {@code s.<name>}
 * (string metadata: indexed string, stored), {@code n.<name>} (numeric metadata: {@link DoublePoint} and
 * stored double). The collection's dimension and model are in the commit user data ({@code kagami.dimension},
 * {@code kagami.model}), so they change atomically with the data.
 *
 * <p>Durability: every upsert and delete is appended to the collection's {@link WriteAheadLog} and fsynced
 * before it is applied and acknowledged. Lucene commits (atomic: after a crash the index opens at the last
 * one) happen in the background every {@link Settings#commitInterval()} or when the log grows past
 * {@link Settings#walBytesPerCommit()}, and on close; on open, the log since the last commit is replayed.
 * Reads see every acknowledged write: a search or get after a write reopens the near-real-time reader first.
 */
public final class LuceneVectorStore implements VectorStore {

  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(LuceneVectorStore.class);
  static final String DIMENSION = "kagami.dimension";
  static final String MODEL = "kagami.model";
  static final String QUANTIZATION = "kagami.quantization";
  static final String WAL_GENERATION = "kagami.wal.generation";

  /**
   * How the store builds and searches its graphs and when it commits.
   *
   * @param hnswM max connections per graph node (Lucene's default 16)
   * @param hnswBeamWidth candidates kept while inserting a node (Lucene's default 100)
   * @param searchCandidates candidates explored per search (at least k; more gives higher recall, slower)
   * @param mergeWorkers threads that build a merged segment's graph
   * @param writerThreads threads that apply one upsert batch to Lucene (each builds the graph of a segment of
   *     its own; batches are still applied one after another, so writes of one id keep their order)
   * @param ramBufferMb indexing buffer before a segment is flushed
   * @param commitInterval longest time an acknowledged write waits in the log before a Lucene commit
   * @param walBytesPerCommit log size that triggers a commit sooner
   */
  public record Settings(int hnswM, int hnswBeamWidth, int searchCandidates, int mergeWorkers, int writerThreads,
      double ramBufferMb, Duration commitInterval, long walBytesPerCommit) {

    public Settings {
      if (hnswM < 2 || hnswM > 512 || hnswBeamWidth < 1 || hnswBeamWidth > 3200 || searchCandidates < 1
          || mergeWorkers < 1 || writerThreads < 1 || writerThreads > 64 || ramBufferMb < 1
          || commitInterval.isNegative() || commitInterval.isZero() || walBytesPerCommit < 1) {
        throw new IllegalArgumentException("invalid index settings " + this);
      }
    }

    /** Lucene's graph defaults, one merge worker, a writer thread per core (at most 4). */
    public static Settings defaults() {
      int writers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
      return new Settings(16, 100, 100, 1, writers, 256, Duration.ofSeconds(60), 256L << 20);
    }

    public Settings withSearchCandidates(int n) {
      return new Settings(hnswM, hnswBeamWidth, n, mergeWorkers, writerThreads, ramBufferMb, commitInterval,
          walBytesPerCommit);
    }

    public Settings withGraph(int m, int beamWidth) {
      return new Settings(m, beamWidth, searchCandidates, mergeWorkers, writerThreads, ramBufferMb, commitInterval,
          walBytesPerCommit);
    }

    public Settings withCommitInterval(Duration d) {
      return new Settings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, writerThreads, ramBufferMb, d,
          walBytesPerCommit);
    }

    public Settings withRamBuffer(double mb) {
      return new Settings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, writerThreads, mb, commitInterval,
          walBytesPerCommit);
    }

    public Settings withWalBytesPerCommit(long bytes) {
      return new Settings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, writerThreads, ramBufferMb,
          commitInterval, bytes);
    }

    public Settings withMergeWorkers(int n) {
      return new Settings(hnswM, hnswBeamWidth, searchCandidates, n, writerThreads, ramBufferMb, commitInterval,
          walBytesPerCommit);
    }

    public Settings withWriterThreads(int n) {
      return new Settings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, n, ramBufferMb, commitInterval,
          walBytesPerCommit);
    }
  }

  private final Path root;
  private final Settings settings;
  private final Map<String, Collection> collections = new ConcurrentHashMap<>();
  /** Alias to collection, replaced as a whole (copy on write) and persisted in {@link #ALIASES}. */
  private volatile Map<String, String> aliases = Map.of();
  static final String ALIASES = "aliases.properties";
  /** Collections that exist on disk but could not be opened: name to the reason, for callers and health. */
  private final Map<String, String> unavailable = new ConcurrentHashMap<>();
  private final WalFiles.Factory walFiles;
  private final ScheduledExecutorService committer;
  private final ExecutorService mergeExecutor;
  /** Applies the parts of an upsert batch beside the calling thread; null with one writer thread. */
  private final ExecutorService writeExecutor;

  private static final class Collection {
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

    Collection(String name, int dimension, String model, Quantization quantization, Path dir, Directory directory,
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
      return Map.of(DIMENSION, Integer.toString(dimension), MODEL, model, QUANTIZATION, quantization.name(),
          WAL_GENERATION, Long.toString(walGeneration));
    }
  }

  public LuceneVectorStore(Path root) {
    this(root, Settings.defaults());
  }

  public LuceneVectorStore(Path root, Settings settings) {
    this(root, settings, WalFiles.DISK);
  }

  /**
   * A store whose write-ahead logs live in {@code walFiles} (a test passes a layer that simulates crashes).
   * A collection that cannot be opened is left closed and reported by {@link #unavailableCollections()};
   * the others open and serve.
   */
  LuceneVectorStore(Path root, Settings settings, WalFiles.Factory walFiles) {
    this.root = root;
    this.settings = settings;
    this.walFiles = walFiles;
    this.mergeExecutor = settings.mergeWorkers() > 1 ? Executors.newFixedThreadPool(settings.mergeWorkers(), r -> {
      Thread t = new Thread(r, "kagami-index-merge");
      t.setDaemon(true);
      return t;
    }) : null;
    this.writeExecutor = settings.writerThreads() > 1 ? Executors.newFixedThreadPool(settings.writerThreads() - 1, r -> {
      Thread t = new Thread(r, "kagami-index-write");
      t.setDaemon(true);
      return t;
    }) : null;
    try {
      Files.createDirectories(root);
      aliases = readAliases(root.resolve(ALIASES));
      try (Stream<Path> dirs = Files.list(root)) {
        for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
          String name = d.getFileName().toString();
          try {
            Collection c = open(name, d, -1, null, null);
            if (c != null) {
              collections.put(c.name, c);
            }
          } catch (IOException | RuntimeException e) {
            // one collection that cannot open must not take the others down
            unavailable.put(name, String.valueOf(e.getMessage()));
            LOG.errorf("collection %s cannot be opened and is unavailable (the other collections serve): %s", name,
                e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      closeAll();
      throw new UncheckedIOException("cannot open the index at " + root + ": " + e.getMessage(), e);
    }
    this.committer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kagami-index-commit");
      t.setDaemon(true);
      return t;
    });
    long every = settings.commitInterval().toMillis();
    committer.scheduleWithFixedDelay(this::commitAllQuietly, every, every, TimeUnit.MILLISECONDS);
  }

  /** Opens (or, with dimension >= 0, creates) a collection; null for a folder that holds no collection. */
  private Collection open(String name, Path dir, int dimension, String model, Quantization q) throws IOException {
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
      if (!data.containsKey(DIMENSION) || !data.containsKey(MODEL)) {
        directory.close();
        throw new IOException(dir + " is a Lucene index without Kagami's collection data");
      }
      quantization = Quantization.valueOf(data.getOrDefault(QUANTIZATION, "NONE"));
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
      Collection c;
      if (!exists) {
        c = new Collection(name, dimension, model, quantization, dir, directory, writer, wal, quarantine);
      } else {
        c = new Collection(name, Integer.parseInt(data.get(DIMENSION)), data.get(MODEL), quantization, dir, directory,
            writer, wal, quarantine);
        // replay what was acknowledged after the last commit
        for (WriteAheadLog.Replayed r : wal.replayRecords(Long.parseLong(data.getOrDefault(WAL_GENERATION, "0")))) {
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
  private void replay(Collection c, WriteAheadLog.Replayed r) throws IOException {
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

  private void apply(Collection c, WriteAheadLog.Op op) throws IOException {
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

  private static void index(Collection c, List<IndexedItem> items) throws IOException {
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

  @Override
  public synchronized CollectionInfo createCollection(String name, int dimension, String model, Quantization quantization) {
    VectorStoreChecks.checkName("collection", name);
    if (aliases.containsKey(name)) {
      throw new InvalidInput("'" + name + "' is an alias; a collection cannot have an alias's name");
    }
    VectorStoreChecks.checkDimension(dimension);
    Collection c = collections.get(name);
    if (c != null) {
      if (c.dimension != dimension || !c.model.equals(model) || c.quantization != quantization) {
        throw new FailedPrecondition("collection '" + name + "' exists for " + c.model + " (dimension " + c.dimension
            + ", " + c.quantization + "), not " + model + " (dimension " + dimension + ", " + quantization + ")");
      }
      return info(c);
    }
    try {
      c = open(name, root.resolve(name), dimension, model, quantization);
    } catch (IOException e) {
      throw new BackendUnavailable("cannot create collection " + name + ": " + e.getMessage(), e);
    }
    collections.put(name, c);
    return info(c);
  }

  private Collection require(String name) {
    String target = aliases.getOrDefault(name, name);
    Collection c = collections.get(target);
    if (c == null) {
      String why = unavailable.get(target);
      if (why != null) {
        throw new BackendUnavailable("collection '" + target + "' could not be opened and is unavailable (the other "
            + "collections serve); the server log has the cause", null);
      }
      throw new NotFound("no collection or alias named '" + name + "'");
    }
    return c;
  }

  private static Map<String, String> readAliases(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Map.of();
    }
    java.util.Properties p = new java.util.Properties();
    try (java.io.Reader r = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> m = new HashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return Map.copyOf(m);
  }

  /** Writes the alias file atomically: a temporary file, fsynced, renamed over the old one, directory fsynced. */
  private void writeAliases(Map<String, String> next) throws IOException {
    java.util.Properties p = new java.util.Properties();
    p.putAll(next);
    Path tmp = root.resolve(ALIASES + ".tmp");
    try (java.io.Writer w = Files.newBufferedWriter(tmp, java.nio.charset.StandardCharsets.UTF_8)) {
      p.store(w, "Kagami collection aliases: alias=collection");
    }
    org.apache.lucene.util.IOUtils.fsync(tmp, false);
    Files.move(tmp, root.resolve(ALIASES), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    org.apache.lucene.util.IOUtils.fsync(root, true);
  }

  @Override
  public synchronized void setAlias(String alias, String collection) {
    VectorStoreChecks.checkName("alias", alias);
    if (collections.containsKey(alias)) {
      throw new InvalidInput("'" + alias + "' is a collection; an alias cannot have a collection's name");
    }
    if (!collections.containsKey(collection)) {
      throw new NotFound("no collection named '" + collection + "' (an alias must point to a collection)");
    }
    Map<String, String> next = new HashMap<>(aliases);
    next.put(alias, collection);
    try {
      writeAliases(next);
    } catch (IOException e) {
      throw new BackendUnavailable("cannot write the aliases: " + e.getMessage(), e);
    }
    aliases = Map.copyOf(next);
  }

  @Override
  public Map<String, String> aliases() {
    return aliases;
  }

  @Override
  public synchronized void deleteCollection(String name) {
    Collection c = collections.get(name);
    if (c == null) {
      throw new NotFound("no collection named '" + name + "'");
    }
    List<String> pointing = aliases.entrySet().stream().filter(e -> e.getValue().equals(name)).map(Map.Entry::getKey)
        .sorted().toList();
    if (!pointing.isEmpty()) {
      throw new FailedPrecondition("collection '" + name + "' is in use by alias(es) " + pointing);
    }
    collections.remove(name);
    synchronized (c.commitLock) {
      synchronized (c) {
        c.broken = "the collection was deleted";
        try {
          c.searchers.close();
          c.writer.rollback();
          c.wal.close();
          c.directory.close();
          org.apache.lucene.util.IOUtils.rm(c.dir);
        } catch (IOException e) {
          throw new BackendUnavailable("cannot delete collection " + name + ": " + e.getMessage(), e);
        }
      }
    }
  }

  @Override
  public List<CollectionInfo> collections() {
    return collections.values().stream().map(this::info).sorted(java.util.Comparator.comparing(CollectionInfo::name)).toList();
  }

  @Override
  public CollectionInfo collection(String name) {
    return info(require(name));
  }

  @Override
  public CollectionSpec spec(String name) {
    Collection c = require(name);
    return new CollectionSpec(c.name, c.dimension, c.model, c.quantization);
  }

  private CollectionInfo info(Collection c) {
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

  @Override
  public void upsert(String collection, List<IndexedItem> items) {
    Collection c = require(collection);
    VectorStoreChecks.checkItems(items, c.dimension);
    write(c, new WriteAheadLog.Upsert(List.copyOf(items)));
  }

  /** Logs (durably), then applies, one operation; commits sooner when the log has grown large. */
  private void write(Collection c, WriteAheadLog.Op op) {
    boolean commitSoon;
    synchronized (c) {
      if (c.broken != null) {
        throw new BackendUnavailable("collection '" + c.name + "' takes no writes until the server restarts: "
            + c.broken, null);
      }
      try {
        c.wal.append(op);
        apply(c, op);
        c.uncommitted = true;
        c.stale.set(true);
        commitSoon = c.wal.currentBytes() >= settings.walBytesPerCommit();
      } catch (IOException | RuntimeException e) {
        // the log may now hold an operation (or part of one) the index does not: the collection stops taking
        // writes until it is reopened, which replays the log, cuts off a torn record and sets aside one that
        // cannot be applied. Every item passed the store's checks, so this is a disk or Lucene failure.
        c.broken = "a write failed";
        LOG.errorf(e, "write to collection %s failed; it takes no writes until it is reopened", c.name);
        throw new BackendUnavailable("write to collection '" + c.name + "' failed (the server log has the cause); "
            + "it takes no writes until the server restarts", e);
      }
    }
    if (commitSoon) {
      committer.execute(() -> commitQuietly(c));
    }
  }

  /** A searcher that sees every acknowledged write; release it with {@code c.searchers.release}. */
  private static IndexSearcher searcher(Collection c) throws IOException {
    if (c.stale.getAndSet(false)) {
      c.searchers.maybeRefreshBlocking();
    }
    return c.searchers.acquire();
  }

  /** Makes every acknowledged write part of a Lucene commit, and drops the log before it. */
  private static void commit(Collection c) throws IOException {
    synchronized (c.commitLock) {
      long gen;
      synchronized (c) {
        if (!c.uncommitted) {
          return;
        }
        // every operation logged before the roll is already applied to the writer, so the commit below holds it
        gen = c.wal.roll();
        c.uncommitted = false;
        c.writer.setLiveCommitData(c.commitData(gen).entrySet());
      }
      try {
        c.writer.commit();
      } catch (IOException | RuntimeException e) {
        synchronized (c) {
          c.uncommitted = true;
        }
        throw e;
      }
      c.wal.deleteBefore(gen);
    }
  }

  private void commitQuietly(Collection c) {
    try {
      commit(c);
    } catch (IOException | RuntimeException e) {
      // the log still holds the writes; the next commit retries
      org.jboss.logging.Logger.getLogger(LuceneVectorStore.class).warnf("commit of collection %s failed: %s", c.name,
          e.getMessage());
    }
  }

  private void commitAllQuietly() {
    collections.values().forEach(this::commitQuietly);
  }

  /** Commits every collection now (normally the background committer does). */
  public void commitAll() {
    for (Collection c : collections.values()) {
      try {
        commit(c);
      } catch (IOException e) {
        throw new BackendUnavailable("commit of " + c.name + " failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void optimize(String collection) {
    Collection c = require(collection);
    try {
      c.writer.forceMerge(1);
      synchronized (c) {
        c.uncommitted = true;
      }
      commit(c);
      c.searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new BackendUnavailable("merging " + collection + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public int delete(String collection, List<String> ids) {
    Collection c = require(collection);
    synchronized (c) {
      int existing = 0;
      try {
        IndexSearcher s = searcher(c);
        try {
          for (String id : new HashSet<>(ids)) {
            existing += s.count(new TermQuery(new Term("id", id)));
          }
        } finally {
          c.searchers.release(s);
        }
      } catch (IOException e) {
        throw new BackendUnavailable("delete from " + collection + " failed: " + e.getMessage(), e);
      }
      write(c, new WriteAheadLog.Delete(List.copyOf(new java.util.LinkedHashSet<>(ids))));
      return existing;
    }
  }

  @Override
  public Optional<IndexedItem> get(String collection, String id) {
    Collection c = require(collection);
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

  @Override
  public void forEach(String collection, int batchSize, java.util.function.Consumer<List<IndexedItem>> consumer) {
    Collection c = require(collection);
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

  @Override
  public List<Hit> search(String collection, float[] query, int k, Filter filter) {
    Collection c = require(collection);
    VectorStoreChecks.checkVector("query vector", query, c.dimension);
    if (k < 1 || k > 10_000) {
      throw new InvalidInput("k must be in 1..10000, is " + k);
    }
    try {
      IndexSearcher s = searcher(c);
      try {
        if (!filter.clauses().isEmpty()) {
          VectorStoreChecks.checkFilter(filter, LuceneDocuments.fieldKinds(s.getIndexReader()));
        }
        Query fq = LuceneDocuments.filterQuery(filter);
        // Explore more candidates than asked for (as Elasticsearch's num_candidates), then keep the best k:
        // recall rises at a small cost.
        int candidates = Math.min(10_000, Math.max(k, settings.searchCandidates()));
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

  @Override
  public Map<String, String> unavailableCollections() {
    return Map.copyOf(unavailable);
  }

  /**
   * What a kill -9 leaves, for crash tests in this package: every collection's uncommitted Lucene changes are
   * dropped ({@code rollback}) and its log is closed without a commit; the store is unusable afterwards. Run
   * with a {@link WalFiles} layer that also forgets unsynced bytes, nothing but what was synced survives.
   */
  void crashForTest() {
    committer.shutdownNow();
    for (Collection c : collections.values()) {
      synchronized (c) {
        c.broken = "crashed";
        try {
          c.searchers.close();
          c.writer.rollback();
          c.wal.close();
          c.directory.close();
        } catch (IOException | RuntimeException e) {
          // a crash does not care
        }
      }
    }
    collections.clear();
    if (mergeExecutor != null) {
      mergeExecutor.shutdownNow();
    }
    if (writeExecutor != null) {
      writeExecutor.shutdownNow();
    }
  }

  @Override
  public synchronized void close() {
    committer.shutdown();
    try {
      committer.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    IOException failure = null;
    for (Collection c : collections.values()) {
      try {
        commit(c);
      } catch (IOException e) {
        failure = e; // the log keeps the writes for the next open
      }
    }
    closeAll();
    if (failure != null) {
      throw new UncheckedIOException("final commit failed (the write-ahead log keeps the writes): "
          + failure.getMessage(), failure);
    }
  }

  private void closeAll() {
    for (Collection c : collections.values()) {
      try {
        c.searchers.close();
        c.writer.close();
        c.wal.close();
        c.directory.close();
      } catch (IOException e) {
        org.jboss.logging.Logger.getLogger(LuceneVectorStore.class).warnf("closing collection %s: %s", c.name,
            e.getMessage());
      }
    }
    collections.clear();
    if (mergeExecutor != null) {
      mergeExecutor.shutdownNow();
    }
    if (writeExecutor != null) {
      writeExecutor.shutdownNow();
    }
  }
}
