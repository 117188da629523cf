package dev.kagami.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuceneVectorStoreTest {

  static final long SEED = Long.getLong("kagami.test.seed", 1234L);

  static float[] unit(SplittableRandom r, int dim) {
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

  static List<IndexedItem> items(int n, int dim, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<IndexedItem> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new IndexedItem("id-" + i, unit(r, dim), Map.of("color", FieldValue.of(i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue"),
          "price", FieldValue.of(i)), "/images/" + i + ".jpg"));
    }
    return out;
  }

  @Test
  void upsert_get_replace_delete_and_reopen(@TempDir Path dir) {
    List<IndexedItem> items = items(50, 16, SEED);
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("shop", 16, "tiny-clip/1");
      s.upsert("shop", items);
      assertThat(s.collection("shop").count()).isEqualTo(50);
      assertThat(s.get("shop", "id-7")).contains(items.get(7));
      IndexedItem changed = new IndexedItem("id-7", items.get(8).vector(), Map.of("color", FieldValue.of("pink")), "");
      s.upsert("shop", List.of(changed));
      assertThat(s.collection("shop").count()).isEqualTo(50);
      assertThat(s.get("shop", "id-7")).contains(changed);
      assertThat(s.delete("shop", List.of("id-1", "id-2", "nope"))).isEqualTo(2);
      assertThat(s.get("shop", "id-1")).isEmpty();
    }
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      CollectionInfo info = s.collection("shop");
      assertThat(info.count()).isEqualTo(48);
      assertThat(info.dimension()).isEqualTo(16);
      assertThat(info.model()).isEqualTo("tiny-clip/1");
      assertThat(info.sizeOnDiskBytes()).isPositive();
      assertThat(s.get("shop", "id-7").orElseThrow().metadata()).containsEntry("color", FieldValue.of("pink"));
    }
  }

  @Test
  void an_acknowledged_upsert_is_in_a_copy_taken_right_after_it(@TempDir Path dir, @TempDir Path copy) throws IOException {
    // Power loss right after the acknowledgement: the files as they are on disk then must hold the data.
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("c", 8, "m/1");
      s.upsert("c", items(20, 8, SEED));
      Fixtures.copyTree(dir, copy); // the writer is still open: no clean close
      s.upsert("c", items(30, 8, SEED + 1)); // not in the copy
    }
    try (LuceneVectorStore s = new LuceneVectorStore(copy)) {
      assertThat(s.collection("c").count()).isEqualTo(20);
      assertThat(s.get("c", "id-19")).isPresent();
    }
  }

  @Test
  void search_finds_the_exact_neighbours_and_reports_cosine(@TempDir Path dir) {
    int n = 2000;
    int dim = 32;
    List<IndexedItem> items = items(n, dim, SEED);
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("c", dim, "m/1");
      for (int from = 0; from < n; from += 500) {
        s.upsert("c", items.subList(from, from + 500));
      }
      SplittableRandom r = new SplittableRandom(SEED + 7);
      double recall = 0;
      int queries = 50;
      for (int q = 0; q < queries; q++) {
        float[] query = unit(r, dim);
        List<Hit> hits = s.search("c", query, 10, Filter.NONE);
        assertThat(hits).hasSize(10);
        for (int i = 1; i < hits.size(); i++) {
          assertThat(hits.get(i).score()).isLessThanOrEqualTo(hits.get(i - 1).score());
        }
        Hit top = hits.get(0);
        IndexedItem topItem = items.get(Integer.parseInt(top.id().substring(3)));
        assertThat((double) top.score()).isCloseTo(dot(query, topItem.vector()), org.assertj.core.data.Offset.offset(1e-4));
        Set<String> exact = new HashSet<>(IntStream.range(0, n).boxed()
            .sorted(Comparator.comparingDouble(i -> -dot(query, items.get(i).vector()))).limit(10)
            .map(i -> "id-" + i).toList());
        recall += hits.stream().filter(h -> exact.contains(h.id())).count() / 10.0;
      }
      assertThat(recall / queries).as("recall@10 vs exact, seed %d", SEED).isGreaterThanOrEqualTo(0.95);
      // an indexed vector finds itself first
      assertThat(s.search("c", items.get(123).vector(), 1, Filter.NONE).get(0).id()).isEqualTo("id-123");
    }
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void an_int8_collection_searches_well_and_keeps_its_quantization(@TempDir Path dir) {
    List<IndexedItem> items = items(1000, 32, SEED);
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("q", 32, "m/1", VectorStore.Quantization.INT8);
      s.upsert("q", items);
      int self = 0;
      for (int i = 0; i < 100; i++) {
        if (s.search("q", items.get(i).vector(), 1, Filter.NONE).get(0).id().equals("id-" + i)) {
          self++;
        }
      }
      assertThat(self).as("indexed vectors find themselves first").isGreaterThanOrEqualTo(95);
      assertThat(s.get("q", "id-5")).contains(items.get(5)); // the stored float vector is exact
    }
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      assertThat(s.collection("q").quantization()).isEqualTo(VectorStore.Quantization.INT8);
      assertThatThrownBy(() -> s.createCollection("q", 32, "m/1", VectorStore.Quantization.NONE))
          .isInstanceOf(FailedPrecondition.class).hasMessageContaining("INT8");
    }
  }

  @Test
  void filters_on_equality_set_membership_and_numeric_range(@TempDir Path dir) {
    List<IndexedItem> items = items(300, 8, SEED);
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("c", 8, "m/1");
      s.upsert("c", items);
      float[] q = items.get(0).vector();
      assertThat(s.search("c", q, 50, new Filter(List.of(new Filter.Equals("color", "red")))))
          .hasSize(50).allSatisfy(h -> assertThat(h.metadata().get("color")).isEqualTo(FieldValue.of("red")));
      assertThat(s.search("c", q, 300, new Filter(List.of(new Filter.In("color", Set.of("red", "blue"))))))
          .hasSize(200).noneSatisfy(h -> assertThat(h.metadata().get("color")).isEqualTo(FieldValue.of("green")));
      List<Hit> cheap = s.search("c", q, 300, new Filter(List.of(new Filter.Range("price", 10, 19),
          new Filter.Equals("color", "green"))));
      assertThat(cheap).extracting(Hit::id).containsExactlyInAnyOrder("id-10", "id-13", "id-16", "id-19");
      assertThat(s.search("c", q, 5, new Filter(List.of(new Filter.Equals("color", "purple"))))).isEmpty();
    }
  }

  @Test
  void bad_input_is_refused_before_anything_is_written(@TempDir Path dir) {
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("c", 4, "m/1");
      float[] ok = {1, 0, 0, 0};
      assertThatThrownBy(() -> s.upsert("c", List.of(new IndexedItem("a", ok, Map.of(), ""),
          new IndexedItem("b", new float[] {1, 1, 0, 0}, Map.of(), "")))).isInstanceOf(InvalidInput.class)
          .hasMessageContaining("vector of item 'b' is not unit length");
      assertThat(s.collection("c").count()).isZero(); // nothing of the batch was written
      assertThatThrownBy(() -> s.upsert("c", List.of(new IndexedItem("a", new float[] {1, 0, 0}, Map.of(), ""))))
          .isInstanceOf(InvalidInput.class).hasMessageContaining("dimension 3, the collection's is 4");
      assertThatThrownBy(() -> s.upsert("c", List.of(new IndexedItem("a", ok, Map.of(), ""), new IndexedItem("a", ok, Map.of(), ""))))
          .isInstanceOf(InvalidInput.class).hasMessageContaining("appears twice");
      assertThatThrownBy(() -> s.upsert("c", List.of(new IndexedItem("a", ok, Map.of("bad field!", FieldValue.of("x")), ""))))
          .isInstanceOf(InvalidInput.class).hasMessageContaining("metadata field names");
      assertThatThrownBy(() -> s.search("c", ok, 0, Filter.NONE)).isInstanceOf(InvalidInput.class);
      assertThatThrownBy(() -> s.search("c", new float[] {Float.NaN, 0, 0, 0}, 1, Filter.NONE)).isInstanceOf(InvalidInput.class);
      assertThatThrownBy(() -> s.search("nope", ok, 1, Filter.NONE)).isInstanceOf(NotFound.class);
      assertThatThrownBy(() -> s.createCollection("c", 4, "other/1")).isInstanceOf(FailedPrecondition.class)
          .hasMessageContaining("exists for m/1");
      assertThatThrownBy(() -> s.createCollection("bad name", 4, "m/1")).isInstanceOf(InvalidInput.class);
      assertThat(s.createCollection("c", 4, "m/1").name()).isEqualTo("c");
    }
  }
}
