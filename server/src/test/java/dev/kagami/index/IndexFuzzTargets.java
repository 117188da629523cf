package dev.kagami.index;

import dev.kagami.api.v1.MetadataValue;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.testing.Fuzzer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.IndexWriter;

/** The fuzz targets of the index package, for {@link IndexFuzzTest} and the reliability bench. */
public final class IndexFuzzTargets {

  private IndexFuzzTargets() {}

  /** The write-ahead-log reader: replays intact records, reports damage, and a record that does not decode is set aside. */
  public static Fuzzer.Target walReader() {
    return bytes -> {
      List<byte[]> payloads = new ArrayList<>();
      WriteAheadLog.Framing.Damage damage = WriteAheadLog.Framing.read(bytes, (off, p) -> payloads.add(p));
      int undecodable = 0;
      for (byte[] p : payloads) {
        try {
          WriteAheadLog.decode(p);
        } catch (IOException e) {
          undecodable++; // replay sets such a record aside
        }
      }
      return (damage == null ? "clean" : "damaged") + (undecodable > 0 ? "+undecodable" : "");
    };
  }

  /**
   * Upsert validation: an upsert the checks accept must come back unchanged from the log and be indexable
   * by {@code writer} (an in-memory Lucene index); a refusal is InvalidInput.
   */
  public static Fuzzer.Target upsertValidation(IndexWriter writer) {
    return bytes -> {
      UpsertRequest req;
      try {
        req = UpsertRequest.parseFrom(bytes);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        return "undecodable";
      }
      List<IndexedItem> items = new ArrayList<>();
      try {
        for (UpsertItem it : req.getItemsList()) {
          items.add(new IndexedItem(it.getId(), normalized(it.getVector().getValuesList()), metadata(it), ""));
        }
        VectorStoreChecks.checkItems(items, 4);
      } catch (InvalidInput e) {
        return "InvalidInput";
      }
      WriteAheadLog.Upsert op = new WriteAheadLog.Upsert(items);
      if (!WriteAheadLog.decode(WriteAheadLog.encode(op)).equals(op)) {
        throw new AssertionError("the log changed an accepted upsert");
      }
      for (IndexedItem it : items) {
        writer.addDocument(LuceneDocuments.document(it)); // throws on a value the index cannot store
      }
      return "accepted";
    };
  }

  static float[] normalized(List<Float> values) {
    float[] v = new float[values.size()];
    double n = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = values.get(i);
      n += (double) v[i] * v[i];
    }
    if (n > 0 && Double.isFinite(n)) {
      for (int i = 0; i < v.length; i++) {
        v[i] /= (float) Math.sqrt(n);
      }
    }
    return v;
  }

  static Map<String, FieldValue> metadata(UpsertItem it) {
    Map<String, FieldValue> m = new HashMap<>();
    for (Map.Entry<String, MetadataValue> e : it.getMetadataMap().entrySet()) {
      switch (e.getValue().getKindCase()) {
        case TEXT -> m.put(e.getKey(), FieldValue.of(e.getValue().getText()));
        case NUMBER -> m.put(e.getKey(), FieldValue.of(e.getValue().getNumber()));
        default -> throw new InvalidInput("no value");
      }
    }
    return m;
  }
}
