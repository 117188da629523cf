package dev.kagami.index;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;

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

  private final Path root;
  private final LuceneSettings settings;
  private final Map<String, LuceneCollection> collections = new ConcurrentHashMap<>();
  /** Alias to collection, replaced as a whole (copy on write) and persisted in {@link #ALIASES}. */
  private volatile Map<String, String> aliases = Map.of();
  static final String ALIASES = "aliases.properties";
  /** Collections that exist on disk but could not be opened: name to the reason, for callers and health. */
  private final Map<String, String> unavailable = new ConcurrentHashMap<>();
  private final LuceneCommits commits;
  private final ExecutorService mergeExecutor;
  /** Applies the parts of an upsert batch beside the calling thread; null with one writer thread. */
  private final ExecutorService writeExecutor;
  private final LuceneCollection.Opener opener;

  public LuceneVectorStore(Path root) {
    this(root, LuceneSettings.defaults());
  }

  public LuceneVectorStore(Path root, LuceneSettings settings) {
    this(root, settings, new ThreadPools());
  }

  /** A store whose merge, write and commit threads come from {@code pools} (the server's factory). */
  public LuceneVectorStore(Path root, LuceneSettings settings, ThreadPools pools) {
    this(root, settings, WalFiles.DISK, pools);
  }

  /**
   * A store whose write-ahead logs live in {@code walFiles} (a test passes a layer that simulates crashes).
   * A collection that cannot be opened is left closed and reported by {@link #unavailableCollections()};
   * the others open and serve.
   */
  LuceneVectorStore(Path root, LuceneSettings settings, WalFiles.Factory walFiles) {
    this(root, settings, walFiles, new ThreadPools());
  }

  private LuceneVectorStore(Path root, LuceneSettings settings, WalFiles.Factory walFiles, ThreadPools pools) {
    this.root = root;
    this.settings = settings;
    this.mergeExecutor = settings.mergeWorkers() > 1 ? pools.workers("index-merge", settings.mergeWorkers()) : null;
    this.writeExecutor = settings.writerThreads() > 1 ? pools.workers("index-write", settings.writerThreads() - 1) : null;
    this.opener = new LuceneCollection.Opener(settings, walFiles, mergeExecutor, writeExecutor);
    try {
      Files.createDirectories(root);
      aliases = AliasFile.read(root.resolve(ALIASES));
      try (Stream<Path> dirs = Files.list(root)) {
        for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
          String name = d.getFileName().toString();
          try {
            LuceneCollection c = opener.open(name, d, -1, null, null);
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
      throw new BackendUnavailable("cannot open the index at " + root + ": " + e.getMessage(), e);
    }
    this.commits = new LuceneCommits(pools.scheduled("index-commit"), collections::values, settings.commitInterval());
  }

  @Override
  public synchronized CollectionInfo createCollection(String name, int dimension, String model, Quantization quantization) {
    VectorStoreChecks.checkName("collection", name);
    if (aliases.containsKey(name)) {
      throw new InvalidInput("'" + name + "' is an alias; a collection cannot have an alias's name");
    }
    VectorStoreChecks.checkDimension(dimension);
    LuceneCollection c = collections.get(name);
    if (c != null) {
      if (c.dimension != dimension || !c.model.equals(model) || c.quantization != quantization) {
        throw new FailedPrecondition("collection '" + name + "' exists for " + c.model + " (dimension " + c.dimension
            + ", " + c.quantization + "), not " + model + " (dimension " + dimension + ", " + quantization + ")");
      }
      return info(c);
    }
    try {
      c = opener.open(name, root.resolve(name), dimension, model, quantization);
    } catch (IOException e) {
      throw new BackendUnavailable("cannot create collection " + name + ": " + e.getMessage(), e);
    }
    collections.put(name, c);
    return info(c);
  }

  private LuceneCollection require(String name) {
    String target = aliases.getOrDefault(name, name);
    LuceneCollection c = collections.get(target);
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
      AliasFile.write(root, ALIASES, next);
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
    LuceneCollection c = collections.get(name);
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
    LuceneCollection c = require(name);
    return new CollectionSpec(c.name, c.dimension, c.model, c.quantization);
  }

  private CollectionInfo info(LuceneCollection c) {
    return LuceneReads.info(c);
  }

  @Override
  public void upsert(String collection, List<IndexedItem> items) {
    LuceneCollection c = require(collection);
    VectorStoreChecks.checkItems(items, c.dimension);
    write(c, new WriteAheadLog.Upsert(List.copyOf(items)));
  }

  /** Logs (durably), then applies, one operation; commits sooner when the log has grown large. */
  private void write(LuceneCollection c, WriteAheadLog.Op op) {
    boolean commitSoon;
    synchronized (c) {
      if (c.broken != null) {
        throw new BackendUnavailable("collection '" + c.name + "' takes no writes until the server restarts: "
            + c.broken, null);
      }
      try {
        c.wal.append(op);
        opener.apply(c, op);
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
      commits.soon(c);
    }
  }

  private static IndexSearcher searcher(LuceneCollection c) throws IOException {
    return LuceneReads.searcher(c);
  }

  /** Commits every collection now (normally the background committer does). */
  public void commitAll() {
    commits.commitAll();
  }

  @Override
  public void optimize(String collection) {
    LuceneCollection c = require(collection);
    try {
      c.writer.forceMerge(1);
      synchronized (c) {
        c.uncommitted = true;
      }
      LuceneCommits.commit(c);
      c.searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new BackendUnavailable("merging " + collection + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public int delete(String collection, List<String> ids) {
    LuceneCollection c = require(collection);
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
    return LuceneReads.get(require(collection), id);
  }

  @Override
  public void forEach(String collection, int batchSize, java.util.function.Consumer<List<IndexedItem>> consumer) {
    LuceneReads.forEach(require(collection), batchSize, consumer);
  }

  @Override
  public List<Hit> search(String collection, float[] query, int k, Filter filter) {
    return LuceneReads.search(require(collection), query, k, filter, settings.searchCandidates());
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
    commits.stopNow();
    for (LuceneCollection c : collections.values()) {
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
    stopPools();
  }

  @Override
  public synchronized void close() {
    IOException failure = commits.stopAndCommitAll();
    closeAll();
    if (failure != null) {
      throw new BackendUnavailable("final commit failed (the write-ahead log keeps the writes): " + failure.getMessage(),
          failure);
    }
  }

  private void closeAll() {
    for (LuceneCollection c : collections.values()) {
      try {
        c.searchers.close();
        c.writer.close();
        c.wal.close();
        c.directory.close();
      } catch (IOException e) {
        LOG.warnf("closing collection %s: %s", c.name, e.getMessage());
      }
    }
    collections.clear();
    stopPools();
  }

  /** Stops the merge and write pools (after the collections are closed or dropped). */
  private void stopPools() {
    if (mergeExecutor != null) {
      mergeExecutor.shutdownNow();
    }
    if (writeExecutor != null) {
      writeExecutor.shutdownNow();
    }
  }
}
