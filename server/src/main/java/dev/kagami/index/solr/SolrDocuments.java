package dev.kagami.index.solr;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.index.FieldValue;
import dev.kagami.index.Filter;
import dev.kagami.index.IndexedItem;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.solr.client.solrj.util.ClientUtils;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrInputDocument;

/**
 * How an item is laid out in Solr: {@code id}, {@code kind=item}, {@code vector}, {@code img}, text metadata
 * in {@code s.<field>} and numbers in {@code n.<field>} (see the configset's schema.xml); and filters as
 * Solr filter queries over those fields.
 */
final class SolrDocuments {

  private SolrDocuments() {}

  static SolrInputDocument document(IndexedItem it) {
    SolrInputDocument d = new SolrInputDocument();
    d.addField("id", it.id());
    d.addField("kind", "item");
    List<Float> v = new ArrayList<>(it.vector().length);
    for (float f : it.vector()) {
      v.add(f);
    }
    d.addField("vector", v);
    d.addField("img", it.imageRef());
    it.metadata().forEach((k, val) -> {
      if (val instanceof FieldValue.Str s) {
        d.addField("s." + k, s.value());
      } else if (val instanceof FieldValue.Num n) {
        d.addField("n." + k, n.value());
      }
    });
    return d;
  }

  static IndexedItem item(SolrDocument d, int dimension) {
    Collection<Object> values = d.getFieldValues("vector");
    float[] v = new float[dimension];
    int i = 0;
    for (Object o : values) {
      v[i++] = ((Number) o).floatValue();
    }
    return new IndexedItem((String) d.getFirstValue("id"), v, metadata(d), (String) d.getFirstValue("img"));
  }

  static Map<String, FieldValue> metadata(SolrDocument d) {
    Map<String, FieldValue> m = new HashMap<>();
    for (String f : d.getFieldNames()) {
      Object v = d.getFirstValue(f);
      if (f.startsWith("s.")) {
        m.put(f.substring(2), FieldValue.of((String) v));
      } else if (f.startsWith("n.")) {
        m.put(f.substring(2), FieldValue.of(((Number) v).doubleValue()));
      }
    }
    return m;
  }

  static String filterQuery(Filter.Clause c) {
    if (c instanceof Filter.Equals e) {
      return "s." + e.field() + ":" + ClientUtils.escapeQueryChars(e.value());
    } else if (c instanceof Filter.In in) {
      return "s." + in.field() + ":(" + in.values().stream().sorted().map(ClientUtils::escapeQueryChars)
          .collect(Collectors.joining(" OR ")) + ")";
    } else if (c instanceof Filter.Range r) {
      return "n." + r.field() + ":[" + bound(r.min()) + " TO " + bound(r.max()) + "]";
    }
    throw new InvalidInput("unknown filter clause " + c);
  }

  private static String bound(double d) {
    return Double.isInfinite(d) ? "*" : Double.toString(d);
  }
}
