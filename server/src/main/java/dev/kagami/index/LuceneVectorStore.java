package dev.kagami.index;

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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
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
 * <p>Durability: every upsert and delete ends with a Lucene commit (fsync), under the collection's lock,
 * before it returns. Lucene commits are atomic: after a crash the index opens at the last commit.
 */
public final class LuceneVectorStore implements VectorStore {

  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");
  static final Pattern FIELD = Pattern.compile("[A-Za-z0-9_.-]{1,100}");
  static final String DIMENSION = "kagami.dimension";
  static final String MODEL = "kagami.model";
  static final String QUANTIZATION = "kagami.quantization";
  /** HNSW graph parameters: max connections per node and beam width at build time (Lucene's defaults). */
  static final int HNSW_M = 16;
  static final int HNSW_BEAM = 100;

  private final Path root;
  private final Map<String, Collection> collections = new ConcurrentHashMap<>();

  private static final class Collection {
    final String name;
    final int dimension;
    final String model;
    final Quantization quantization;
    final Path dir;
    final Directory directory;
    final IndexWriter writer;
    final SearcherManager searchers;

    Collection(String name, int dimension, String model, Quantization quantization, Path dir, Directory directory,
        IndexWriter writer) throws IOException {
      this.name = name;
      this.dimension = dimension;
      this.model = model;
      this.quantization = quantization;
      this.dir = dir;
      this.directory = directory;
      this.writer = writer;
      this.searchers = new SearcherManager(writer, null);
    }
  }

  public LuceneVectorStore(Path root) {
    this.root = root;
    try {
      Files.createDirectories(root);
      try (Stream<Path> dirs = Files.list(root)) {
        for (Path d : dirs.filter(Files::isDirectory).toList()) {
          Collection c = open(d.getFileName().toString(), d, -1, null, null);
          if (c != null) {
            collections.put(c.name, c);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the index at " + root + ": " + e.getMessage(), e);
    }
  }

  /** Opens (or, with dimension >= 0, creates) a collection; null for a folder that holds no collection. */
  private static Collection open(String name, Path dir, int dimension, String model, Quantization q) throws IOException {
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
        .setCodec(codec(quantization));
    IndexWriter writer = new IndexWriter(directory, cfg);
    try {
      if (!exists) {
        writer.setLiveCommitData(Map.of(DIMENSION, Integer.toString(dimension), MODEL, model, QUANTIZATION,
            quantization.name()).entrySet());
        writer.commit();
        return new Collection(name, dimension, model, quantization, dir, directory, writer);
      }
      return new Collection(name, Integer.parseInt(data.get(DIMENSION)), data.get(MODEL), quantization, dir, directory, writer);
    } catch (IOException | RuntimeException e) {
      writer.close();
      directory.close();
      throw e;
    }
  }

  /** The codec: Lucene 9.12's, with the vector format of the collection's quantization. */
  private static org.apache.lucene.codecs.Codec codec(Quantization q) {
    org.apache.lucene.codecs.KnnVectorsFormat format = q == Quantization.INT8
        ? new org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat(HNSW_M, HNSW_BEAM)
        : new org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat(HNSW_M, HNSW_BEAM);
    return new org.apache.lucene.codecs.lucene912.Lucene912Codec() {
      @Override
      public org.apache.lucene.codecs.KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return format;
      }
    };
  }

  @Override
  public synchronized CollectionInfo createCollection(String name, int dimension, String model, Quantization quantization) {
    if (!NAME.matcher(name).matches()) {
      throw new InvalidInput("collection name must be 1-100 letters, digits, '_' or '-': '" + name + "'");
    }
    if (dimension < 1 || dimension > 1024) {
      throw new InvalidInput("dimension must be in 1..1024 (Lucene's HNSW limit), is " + dimension);
    }
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
      throw new UncheckedIOException("cannot create collection " + name + ": " + e.getMessage(), e);
    }
    collections.put(name, c);
    return info(c);
  }

  private Collection require(String name) {
    Collection c = collections.get(name);
    if (c == null) {
      throw new NotFound("no collection named '" + name + "'");
    }
    return c;
  }

  @Override
  public List<CollectionInfo> collections() {
    return collections.values().stream().map(this::info).sorted(java.util.Comparator.comparing(CollectionInfo::name)).toList();
  }

  @Override
  public CollectionInfo collection(String name) {
    return info(require(name));
  }

  private CollectionInfo info(Collection c) {
    try {
      IndexSearcher s = c.searchers.acquire();
      try {
        long size = 0;
        for (String f : c.directory.listAll()) {
          try {
            size += c.directory.fileLength(f);
          } catch (IOException e) {
            // a file deleted while listing (merges): not counted
          }
        }
        return new CollectionInfo(c.name, c.dimension, c.model, c.quantization, s.getIndexReader().numDocs(), size);
      } finally {
        c.searchers.release(s);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void checkVector(String what, float[] v, int dimension) {
    if (v == null || v.length != dimension) {
      throw new InvalidInput(what + " has dimension " + (v == null ? 0 : v.length) + ", the collection's is " + dimension);
    }
    double n = 0;
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw new InvalidInput(what + " has a non-finite value");
      }
      n += (double) x * x;
    }
    if (Math.abs(Math.sqrt(n) - 1) > 1e-3) {
      throw new InvalidInput(what + " is not unit length (norm " + (float) Math.sqrt(n) + ")");
    }
  }

  @Override
  public void upsert(String collection, List<IndexedItem> items) {
    Collection c = require(collection);
    Set<String> ids = new HashSet<>();
    for (IndexedItem it : items) {
      if (it.id().isEmpty() || it.id().length() > 512) {
        throw new InvalidInput("item ids must be 1-512 characters: '" + it.id() + "'");
      }
      if (!ids.add(it.id())) {
        throw new InvalidInput("item '" + it.id() + "' appears twice in one upsert");
      }
      checkVector("vector of item '" + it.id() + "'", it.vector(), c.dimension);
      it.metadata().keySet().forEach(k -> {
        if (!FIELD.matcher(k).matches()) {
          throw new InvalidInput("metadata field names must be 1-100 letters, digits, '.', '_' or '-': '" + k + "'");
        }
      });
    }
    synchronized (c) {
      try {
        for (IndexedItem it : items) {
          c.writer.updateDocument(new Term("id", it.id()), document(it));
        }
        c.writer.commit();
        c.searchers.maybeRefreshBlocking();
      } catch (IOException e) {
        throw new UncheckedIOException("upsert into " + collection + " failed: " + e.getMessage(), e);
      }
    }
  }

  private static Document document(IndexedItem it) {
    Document d = new Document();
    d.add(new StringField("id", it.id(), Field.Store.YES));
    d.add(new KnnFloatVectorField("vector", it.vector(), VectorSimilarityFunction.DOT_PRODUCT));
    ByteBuffer b = ByteBuffer.allocate(4 * it.vector().length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : it.vector()) {
      b.putFloat(f);
    }
    d.add(new StoredField("vec", new BytesRef(b.array())));
    d.add(new StoredField("img", it.imageRef()));
    it.metadata().forEach((k, v) -> {
      if (v instanceof FieldValue.Str s) {
        d.add(new StringField("s." + k, s.value(), Field.Store.YES));
      } else if (v instanceof FieldValue.Num n) {
        d.add(new DoublePoint("n." + k, n.value()));
        d.add(new StoredField("n." + k, n.value()));
      }
    });
    return d;
  }

  @Override
  public int delete(String collection, List<String> ids) {
    Collection c = require(collection);
    synchronized (c) {
      try {
        int existing = 0;
        IndexSearcher s = c.searchers.acquire();
        try {
          for (String id : new HashSet<>(ids)) {
            existing += s.count(new TermQuery(new Term("id", id)));
          }
        } finally {
          c.searchers.release(s);
        }
        c.writer.deleteDocuments(ids.stream().map(id -> new Term("id", id)).toArray(Term[]::new));
        c.writer.commit();
        c.searchers.maybeRefreshBlocking();
        return existing;
      } catch (IOException e) {
        throw new UncheckedIOException("delete from " + collection + " failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public Optional<IndexedItem> get(String collection, String id) {
    Collection c = require(collection);
    try {
      IndexSearcher s = c.searchers.acquire();
      try {
        TopDocs td = s.search(new TermQuery(new Term("id", id)), 1);
        if (td.scoreDocs.length == 0) {
          return Optional.empty();
        }
        Document d = s.storedFields().document(td.scoreDocs[0].doc);
        BytesRef vb = d.getBinaryValue("vec");
        ByteBuffer b = ByteBuffer.wrap(vb.bytes, vb.offset, vb.length).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[c.dimension];
        b.asFloatBuffer().get(v);
        return Optional.of(new IndexedItem(id, v, metadata(d), d.get("img")));
      } finally {
        c.searchers.release(s);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, FieldValue> metadata(Document d) {
    Map<String, FieldValue> m = new HashMap<>();
    for (IndexableField f : d.getFields()) {
      if (f.name().startsWith("s.")) {
        m.put(f.name().substring(2), FieldValue.of(f.stringValue()));
      } else if (f.name().startsWith("n.") && f.numericValue() != null) {
        m.put(f.name().substring(2), FieldValue.of(f.numericValue().doubleValue()));
      }
    }
    return m;
  }

  static Query filterQuery(Filter filter) {
    if (filter.clauses().isEmpty()) {
      return null;
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (Filter.Clause c : filter.clauses()) {
      Query q;
      if (c instanceof Filter.Equals e) {
        q = new TermQuery(new Term("s." + e.field(), e.value()));
      } else if (c instanceof Filter.In in) {
        q = new TermInSetQuery("s." + in.field(), in.values().stream().map(BytesRef::new).toList());
      } else if (c instanceof Filter.Range r) {
        if (Double.isNaN(r.min()) || Double.isNaN(r.max()) || r.min() > r.max()) {
          throw new InvalidInput("range on '" + r.field() + "' is empty or NaN: [" + r.min() + ", " + r.max() + "]");
        }
        q = DoublePoint.newRangeQuery("n." + r.field(), r.min(), r.max());
      } else {
        throw new InvalidInput("unknown filter clause " + c);
      }
      b.add(q, BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  @Override
  public List<Hit> search(String collection, float[] query, int k, Filter filter) {
    Collection c = require(collection);
    checkVector("query vector", query, c.dimension);
    if (k < 1 || k > 10_000) {
      throw new InvalidInput("k must be in 1..10000, is " + k);
    }
    Query fq = filterQuery(filter);
    try {
      IndexSearcher s = c.searchers.acquire();
      try {
        // Explore more candidates than asked for (as Elasticsearch's num_candidates), then keep the best k:
        // recall rises at a small cost.
        int candidates = Math.min(10_000, Math.max(k * 5, 100));
        TopDocs td = s.search(new KnnFloatVectorQuery("vector", query, candidates, fq), k);
        List<Hit> hits = new ArrayList<>(td.scoreDocs.length);
        for (ScoreDoc sd : td.scoreDocs) {
          Document d = s.storedFields().document(sd.doc);
          // Lucene scores DOT_PRODUCT as (1 + dot) / 2; report the cosine
          hits.add(new Hit(d.get("id"), 2 * sd.score - 1, metadata(d), d.get("img")));
        }
        return hits;
      } finally {
        c.searchers.release(s);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() {
    for (Collection c : collections.values()) {
      try {
        c.searchers.close();
        c.writer.close();
        c.directory.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    collections.clear();
  }
}
