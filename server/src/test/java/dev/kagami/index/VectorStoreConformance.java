package dev.kagami.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What every {@link VectorStore} must do, run against each implementation: the embedded Lucene store
 * ({@code LuceneVectorStoreConformanceTest}) and the SolrCloud store (module {@code solr-it}, against a real
 * in-process SolrCloud). A subclass supplies the store; collection names are unique per test, so a store
 * may be shared by the tests of a class. Seeded with {@code -Dkagami.test.seed}.
 */
public abstract class VectorStoreConformance {

  public static final long SEED = Long.getLong("kagami.test.seed", 1234L);
  private static final AtomicInteger NAMES = new AtomicInteger();

  /** The store under test; it lives at least as long as the test. */
  protected abstract VectorStore store();

  /** A collection name no other test uses. */
  protected static String unique(String base) {
    return base + "-" + NAMES.incrementAndGet() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
  }

  public static float[] unit(SplittableRandom r, int dim) {
    float[] v = new float[dim];
    double n = 0;
    for (int i = 0; i < dim; i++) {
      v[i] = (float) r.nextGaussian();
      n += v[i] * v[i];
    }
    for (int i = 0; i < dim; i++) {
      v[i] /= (float) Math.sqrt(n);
    }
    return v;
  }

  public static List<IndexedItem> items(int n, int dim, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<IndexedItem> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new IndexedItem("id-" + i, unit(r, dim), Map.of("color", FieldValue.of(i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue"),
          "price", FieldValue.of(i)), "/images/" + i + ".jpg"));
    }
    return out;
  }

  static void upsertInBatches(VectorStore s, String collection, List<IndexedItem> items, int batch) {
    for (int from = 0; from < items.size(); from += batch) {
      s.upsert(collection, items.subList(from, Math.min(items.size(), from + batch)));
    }
  }

  /** The share of the exact top 10 of {@code items} for {@code query} (by dot product) that {@code hits} holds. */
  static double recallAt10(List<Hit> hits, List<IndexedItem> items, float[] query) {
    Set<String> exact = new HashSet<>(items.stream().sorted(Comparator.comparingDouble(it -> -dot(query, it.vector())))
        .limit(10).map(IndexedItem::id).toList());
    return hits.stream().filter(h -> exact.contains(h.id())).count() / 10.0;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void upsert_get_replace_and_delete() {
    VectorStore s = store();
    String c = unique("shop");
    List<IndexedItem> items = items(50, 16, SEED);
    CollectionInfo created = s.createCollection(c, 16, "tiny-clip/1");
    assertThat(created).extracting(CollectionInfo::name, CollectionInfo::dimension, CollectionInfo::model, CollectionInfo::count)
        .containsExactly(c, 16, "tiny-clip/1", 0L);
    s.upsert(c, items);
    assertThat(s.collection(c).count()).isEqualTo(50);
    assertThat(s.get(c, "id-7")).contains(items.get(7)); // vector, metadata and image reference exactly as written
    IndexedItem changed = new IndexedItem("id-7", items.get(8).vector(), Map.of("color", FieldValue.of("pink")), "");
    s.upsert(c, List.of(changed));
    assertThat(s.collection(c).count()).isEqualTo(50);
    assertThat(s.get(c, "id-7")).contains(changed);
    assertThat(s.delete(c, List.of("id-1", "id-2", "nope", "id-1"))).isEqualTo(2);
    assertThat(s.get(c, "id-1")).isEmpty();
    assertThat(s.collection(c).count()).isEqualTo(48);
    assertThat(s.search(c, items.get(1).vector(), 48, Filter.NONE)).extracting(Hit::id).doesNotContain("id-1", "id-2");
    assertThat(s.collections()).extracting(CollectionInfo::name).contains(c);
    assertThat(s.collection(c).sizeOnDiskBytes()).isPositive();
  }

  @Test
  void search_finds_the_exact_neighbours_and_reports_cosine() {
    VectorStore s = store();
    String c = unique("knn");
    int n = 2000;
    int dim = 32;
    List<IndexedItem> items = items(n, dim, SEED);
    s.createCollection(c, dim, "m/1");
    upsertInBatches(s, c, items, 500);
    SplittableRandom r = new SplittableRandom(SEED + 7);
    double recall = 0;
    int queries = 30;
    for (int q = 0; q < queries; q++) {
      float[] query = unit(r, dim);
      List<Hit> hits = s.search(c, query, 10, Filter.NONE);
      assertThat(hits).hasSize(10);
      for (int i = 1; i < hits.size(); i++) {
        assertThat(hits.get(i).score()).isLessThanOrEqualTo(hits.get(i - 1).score());
      }
      Hit top = hits.get(0);
      IndexedItem topItem = items.get(Integer.parseInt(top.id().substring(3)));
      assertThat((double) top.score()).isCloseTo(dot(query, topItem.vector()), org.assertj.core.data.Offset.offset(1e-4));
      assertThat(top.metadata()).isEqualTo(topItem.metadata());
      assertThat(top.imageRef()).isEqualTo(topItem.imageRef());
      recall += recallAt10(hits, items, query);
    }
    assertThat(recall / queries).as("recall@10 vs exact, seed %d", SEED).isGreaterThanOrEqualTo(0.95);
    assertThat(s.search(c, items.get(123).vector(), 1, Filter.NONE).get(0).id()).isEqualTo("id-123");
  }

  @Test
  void optimize_keeps_every_item_and_its_neighbours() {
    VectorStore s = store();
    String c = unique("optimize");
    List<IndexedItem> items = items(600, 8, SEED);
    s.createCollection(c, 8, "m/1");
    upsertInBatches(s, c, items, 100); // several batches: several segments to merge
    s.optimize(c);
    assertThat(s.collection(c).count()).isEqualTo(600);
    assertThat(s.get(c, "id-599")).contains(items.get(599));
    assertThat(s.search(c, items.get(42).vector(), 1, Filter.NONE)).extracting(Hit::id).containsExactly("id-42");
  }

  @Test
  void filters_on_equality_set_membership_and_numeric_range() {
    VectorStore s = store();
    String c = unique("filter");
    List<IndexedItem> items = items(300, 8, SEED);
    s.createCollection(c, 8, "m/1");
    s.upsert(c, items);
    float[] q = items.get(0).vector();
    assertThat(s.search(c, q, 50, new Filter(List.of(new Filter.Equals("color", "red")))))
        .hasSize(50).allSatisfy(h -> assertThat(h.metadata().get("color")).isEqualTo(FieldValue.of("red")));
    assertThat(s.search(c, q, 300, new Filter(List.of(new Filter.In("color", Set.of("red", "blue"))))))
        .hasSize(200).noneSatisfy(h -> assertThat(h.metadata().get("color")).isEqualTo(FieldValue.of("green")));
    List<Hit> cheap = s.search(c, q, 300, new Filter(List.of(new Filter.Range("price", 10, 19),
        new Filter.Equals("color", "green"))));
    assertThat(cheap).extracting(Hit::id).containsExactlyInAnyOrder("id-10", "id-13", "id-16", "id-19");
    assertThat(s.search(c, q, 5, new Filter(List.of(new Filter.Equals("color", "purple"))))).isEmpty();
    // values with query-syntax characters are matched literally
    IndexedItem odd = new IndexedItem("odd", q, Map.of("color", FieldValue.of("a \"b\" OR c:*")), "");
    s.upsert(c, List.of(odd));
    assertThat(s.search(c, q, 5, new Filter(List.of(new Filter.Equals("color", "a \"b\" OR c:*"))))).extracting(Hit::id)
        .containsExactly("odd");
    assertThat(s.search(c, q, 5, new Filter(List.of(new Filter.In("color", Set.of("a \"b\" OR c:*", "x,y")))))).extracting(Hit::id)
        .containsExactly("odd");
  }

  @Test
  void bad_input_is_refused_before_anything_is_written() {
    VectorStore s = store();
    String c = unique("bad");
    s.createCollection(c, 4, "m/1");
    float[] ok = {1, 0, 0, 0};
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("a", ok, Map.of(), ""),
        new IndexedItem("b", new float[] {1, 1, 0, 0}, Map.of(), "")))).isInstanceOf(InvalidInput.class)
        .hasMessageContaining("vector of item 'b' is not unit length");
    assertThat(s.collection(c).count()).isZero(); // nothing of the batch was written
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("a", new float[] {1, 0, 0}, Map.of(), ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("dimension 3, the collection's is 4");
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("a", ok, Map.of(), ""), new IndexedItem("a", ok, Map.of(), ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("appears twice");
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("a", ok, Map.of("bad field!", FieldValue.of("x")), ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("metadata field names");
    assertThatThrownBy(() -> s.search(c, ok, 0, Filter.NONE)).isInstanceOf(InvalidInput.class);
    assertThatThrownBy(() -> s.search(c, new float[] {Float.NaN, 0, 0, 0}, 1, Filter.NONE)).isInstanceOf(InvalidInput.class);
    assertThatThrownBy(() -> s.search(c, ok, 1, new Filter(List.of(new Filter.Range("price", 5, 1)))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> s.search(unique("nope"), ok, 1, Filter.NONE)).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> s.createCollection(c, 4, "other/1")).isInstanceOf(FailedPrecondition.class)
        .hasMessageContaining("exists for m/1");
    assertThatThrownBy(() -> s.createCollection("bad name", 4, "m/1")).isInstanceOf(InvalidInput.class);
    assertThatThrownBy(() -> s.createCollection(unique("d"), 0, "m/1")).isInstanceOf(InvalidInput.class);
    assertThat(s.createCollection(c, 4, "m/1").name()).isEqualTo(c);
  }

  @Test
  void a_write_the_index_could_not_take_is_refused_whole_and_the_collection_keeps_working() {
    VectorStore s = store();
    String c = unique("poison");
    s.createCollection(c, 4, "m/1");
    float[] ok = {1, 0, 0, 0};
    String huge = "x".repeat(40_000); // over Lucene's 32,766-byte term limit
    IndexedItem good = new IndexedItem("good", ok, Map.of("kind", FieldValue.of("shoe")), "");
    assertThatThrownBy(() -> s.upsert(c, List.of(good, new IndexedItem("long", ok, Map.of("desc", FieldValue.of(huge)), ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("item 1 ('long'), metadata field 'desc' is 40000 bytes");
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("a\u0000b", ok, Map.of(), ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("item 0").hasMessageContaining("control character");
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("nan", ok, Map.of("price", FieldValue.of(Double.NaN)), ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("metadata field 'price' is NaN");
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("inf", ok,
        Map.of("price", FieldValue.of(Double.POSITIVE_INFINITY)), "")))).isInstanceOf(InvalidInput.class);
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("\ud800", ok, Map.of(), ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("lone surrogate");
    Map<String, FieldValue> many = new java.util.HashMap<>();
    for (int i = 0; i <= VectorStoreChecks.MAX_FIELDS; i++) {
      many.put("f" + i, FieldValue.of(i));
    }
    assertThatThrownBy(() -> s.upsert(c, List.of(new IndexedItem("many", ok, many, ""))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("metadata fields; at most");
    assertThat(s.collection(c).count()).isZero(); // nothing of any refused batch was written
    // the longest value allowed is stored, and the collection takes writes and answers searches
    String longest = "y".repeat(VectorStoreChecks.MAX_TEXT_VALUE_BYTES);
    s.upsert(c, List.of(good, new IndexedItem("longest", new float[] {0, 1, 0, 0}, Map.of("desc", FieldValue.of(longest)), "")));
    assertThat(s.get(c, "longest").orElseThrow().metadata()).containsEntry("desc", FieldValue.of(longest));
    assertThat(s.search(c, ok, 2, Filter.NONE)).extracting(Hit::id).containsExactly("good", "longest");
  }

  @Test
  void a_filter_that_does_not_fit_the_fields_is_refused() {
    VectorStore s = store();
    String c = unique("filters");
    s.createCollection(c, 4, "m/1");
    float[] ok = {1, 0, 0, 0};
    s.upsert(c, List.of(new IndexedItem("a", ok, Map.of("color", FieldValue.of("red"), "price", FieldValue.of(3)), "")));
    assertThatThrownBy(() -> s.search(c, ok, 1, new Filter(List.of(new Filter.Range("color", 0, 1)))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("a range needs a number field, 'color' holds text");
    assertThatThrownBy(() -> s.search(c, ok, 1, new Filter(List.of(new Filter.Equals("price", "3")))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("need a text field, 'price' holds numbers");
    assertThatThrownBy(() -> s.search(c, ok, 1, new Filter(List.of(new Filter.In("price", Set.of("3"))))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("'price' holds numbers");
    assertThatThrownBy(() -> s.search(c, ok, 1, new Filter(List.of(new Filter.Equals("colour", "red")))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("no item of the collection has a metadata field 'colour'");
    assertThatThrownBy(() -> s.search(c, ok, 1, new Filter(List.of(new Filter.In("color", Set.of())))))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("the set of values is empty");
    // filters that fit still work
    assertThat(s.search(c, ok, 1, new Filter(List.of(new Filter.Equals("color", "red"), new Filter.Range("price", 3, 3)))))
        .extracting(Hit::id).containsExactly("a");
    assertThat(s.search(c, ok, 1, new Filter(List.of(new Filter.Equals("color", "blue"))))).isEmpty();
  }

  @Test
  void an_alias_switches_atomically_while_searches_keep_answering() throws Exception {
    VectorStore s = store();
    String v1 = unique("products-v1");
    String v2 = unique("products-v2");
    String alias = unique("products");
    s.createCollection(v1, 8, "m/1");
    s.createCollection(v2, 8, "m/2");
    List<IndexedItem> items = items(100, 8, SEED);
    s.upsert(v1, items);
    s.upsert(v2, items.subList(0, 60));
    assertThatThrownBy(() -> s.setAlias(alias, unique("missing"))).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> s.setAlias(v2, v1)).isInstanceOf(InvalidInput.class).hasMessageContaining("collection's name");
    s.setAlias(alias, v1);
    assertThat(s.aliases()).containsEntry(alias, v1);
    assertThat(s.collection(alias)).extracting(CollectionInfo::name, CollectionInfo::model).containsExactly(v1, "m/1");
    assertThatThrownBy(() -> s.createCollection(alias, 8, "m/1")).isInstanceOf(InvalidInput.class).hasMessageContaining("alias");

    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger answered = new AtomicInteger();
    Thread searcher = new Thread(() -> {
      while (!stop.get()) {
        try {
          List<Hit> hits = s.search(alias, items.get(5).vector(), 1, Filter.NONE);
          if (hits.isEmpty() || !hits.get(0).id().equals("id-5")) {
            throw new AssertionError("search through the alias answered " + hits);
          }
          answered.incrementAndGet();
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
          return;
        }
      }
    });
    searcher.start();
    while (answered.get() < 5 && failure.get() == null) {
      Thread.sleep(5);
    }
    s.setAlias(alias, v2);
    int atSwitch = answered.get();
    while (answered.get() < atSwitch + 5 && failure.get() == null) {
      Thread.sleep(5);
    }
    stop.set(true);
    searcher.join(30_000);
    assertThat(failure.get()).as("a search during the switch failed").isNull();
    assertThat(s.collection(alias)).extracting(CollectionInfo::name, CollectionInfo::count).containsExactly(v2, 60L);
    assertThat(s.get(alias, "id-70")).isEmpty();
    assertThatThrownBy(() -> s.deleteCollection(v2)).isInstanceOf(FailedPrecondition.class).hasMessageContaining(alias);
    s.deleteCollection(v1);
    assertThat(s.collections()).extracting(CollectionInfo::name).doesNotContain(v1).contains(v2);
    assertThatThrownBy(() -> s.collection(v1)).isInstanceOf(NotFound.class);
  }

  @Test
  void for_each_hands_over_every_item_once_in_batches() {
    VectorStore s = store();
    String c = unique("scan");
    List<IndexedItem> items = items(257, 8, SEED);
    s.createCollection(c, 8, "m/1");
    s.upsert(c, items);
    s.delete(c, List.of("id-3"));
    List<IndexedItem> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    s.forEach(c, 50, batch -> {
      sizes.add(batch.size());
      seen.addAll(batch);
    });
    assertThat(sizes).allSatisfy(n -> assertThat(n).isBetween(1, 50));
    List<IndexedItem> expected = new ArrayList<>(items);
    expected.remove(3);
    assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void reindex_rebuilds_from_kept_images_and_switches_the_alias(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
    VectorStore s = store();
    ImageStore images = new ImageStore(tmp);
    String v1 = unique("cat-v1");
    String v2 = unique("cat-v2");
    String alias = unique("cat");
    s.createCollection(v1, 4, "old/1");
    // "images" are 4 bytes; the "new model" embeds an image as its bytes, normalized
    List<IndexedItem> kept = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] img = {(byte) (i + 1), 2, 3, (byte) (i % 5)};
      kept.add(new IndexedItem("p" + i, unit(new SplittableRandom(i), 4), Map.of("i", FieldValue.of(i)), images.put(img)));
    }
    s.upsert(v1, kept);
    s.setAlias(alias, v1);
    Reindexer.ImageEmbedder embedder = batch -> batch.stream().map(b -> {
      float[] v = new float[4];
      double n = 0;
      for (int d = 0; d < 4; d++) {
        v[d] = b[d];
        n += v[d] * v[d];
      }
      for (int d = 0; d < 4; d++) {
        v[d] /= (float) Math.sqrt(n);
      }
      return v;
    }).toList();
    List<Reindexer.Progress> progress = new ArrayList<>();
    Reindexer.Result r = new Reindexer(s, images).run(new Reindexer.Request(alias, v2, "new/2", 4, alias, false, 7),
        embedder, progress::add, () -> false);
    assertThat(r.switched()).isTrue();
    assertThat(r.skipped()).isZero();
    assertThat(s.aliases()).containsEntry(alias, v2);
    assertThat(s.collection(alias)).extracting(CollectionInfo::model, CollectionInfo::count).containsExactly("new/2", 30L);
    assertThat(progress.get(progress.size() - 1).done()).isEqualTo(30);
    IndexedItem p7 = s.get(alias, "p7").orElseThrow();
    assertThat(p7.metadata()).isEqualTo(kept.get(7).metadata());
    assertThat(p7.imageRef()).isEqualTo(kept.get(7).imageRef());
    assertThat(p7.vector()).isEqualTo(embedder.embed(List.of(images.get(kept.get(7).imageRef()))).get(0));
    assertThat(s.collection(v1).model()).isEqualTo("old/1"); // the old collection is kept until deleted

    // an item without a kept image cannot be rebuilt: no switch unless missing items are allowed
    s.upsert(v2, List.of(new IndexedItem("vec-only", unit(new SplittableRandom(99), 4), Map.of(), "")));
    String v3 = unique("cat-v3");
    Reindexer.Result r3 = new Reindexer(s, images).run(new Reindexer.Request(alias, v3, "new/3", 4, alias, false, 7),
        embedder, p -> { }, () -> false);
    assertThat(r3.switched()).isFalse();
    assertThat(r3.skipped()).isEqualTo(1);
    assertThat(r3.skippedIds()).containsExactly("vec-only");
    assertThat(s.aliases()).containsEntry(alias, v2);
  }
}
