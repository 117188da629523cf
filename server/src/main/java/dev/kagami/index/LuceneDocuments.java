package dev.kagami.index;

import dev.kagami.error.KagamiException.InvalidInput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.VectorUtil;

/**
 * How {@link LuceneVectorStore} maps items to Lucene documents and back, filters to queries, and rescores
 * candidates; the document layout is described there.
 */
final class LuceneDocuments {

  private LuceneDocuments() {}

  static Document document(IndexedItem it) {
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

  static IndexedItem item(Document d, int dimension) {
    BytesRef vb = d.getBinaryValue("vec");
    ByteBuffer b = ByteBuffer.wrap(vb.bytes, vb.offset, vb.length).order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[dimension];
    b.asFloatBuffer().get(v);
    return new IndexedItem(d.get("id"), v, metadata(d), d.get("img"));
  }

  static Map<String, FieldValue> metadata(Document d) {
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
        q = DoublePoint.newRangeQuery("n." + r.field(), r.min(), r.max());
      } else {
        throw new InvalidInput("unknown filter clause " + c);
      }
      b.add(q, BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  /**
   * The best {@code k} of {@code candidates} by the exact dot product of their float vectors with the query
   * (each {@link ScoreDoc#score} becomes that cosine). Reads the float vectors that an int8 segment keeps
   * beside its quantized ones, leaf by leaf in document order.
   */
  static ScoreDoc[] rescore(IndexSearcher s, ScoreDoc[] candidates, float[] query, int k) throws IOException {
    ScoreDoc[] byDoc = candidates.clone();
    Arrays.sort(byDoc, Comparator.comparingInt(sd -> sd.doc));
    List<LeafReaderContext> leaves = s.getIndexReader().leaves();
    FloatVectorValues values = null;
    int leafIndex = -1;
    for (ScoreDoc sd : byDoc) {
      int li = ReaderUtil.subIndex(sd.doc, leaves);
      if (li != leafIndex) {
        leafIndex = li;
        values = leaves.get(li).reader().getFloatVectorValues("vector");
      }
      int local = sd.doc - leaves.get(li).docBase;
      if (values == null || values.advance(local) != local) {
        throw new IllegalStateException("document " + sd.doc + " found by the vector search has no vector");
      }
      sd.score = VectorUtil.dotProduct(query, values.vectorValue());
    }
    Arrays.sort(byDoc, (x, y) -> x.score != y.score ? Float.compare(y.score, x.score) : Integer.compare(x.doc, y.doc));
    return Arrays.copyOf(byDoc, Math.min(k, byDoc.length));
  }

  /** Field name to the kinds of value it holds, from the field infos of every segment the reader sees. */
  static Map<String, Set<FieldValue.Kind>> fieldKinds(IndexReader reader) {
    Map<String, Set<FieldValue.Kind>> kinds = new HashMap<>();
    for (LeafReaderContext leaf : reader.leaves()) {
      for (FieldInfo fi : leaf.reader().getFieldInfos()) {
        if (fi.name.startsWith("s.")) {
          kinds.computeIfAbsent(fi.name.substring(2), k -> EnumSet.noneOf(FieldValue.Kind.class)).add(FieldValue.Kind.TEXT);
        } else if (fi.name.startsWith("n.")) {
          kinds.computeIfAbsent(fi.name.substring(2), k -> EnumSet.noneOf(FieldValue.Kind.class)).add(FieldValue.Kind.NUMBER);
        }
      }
    }
    return kinds;
  }
}
