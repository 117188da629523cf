package dev.kagami.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the embedded store has: files on disk, reopen, power loss, int8. The rest: {@link VectorStoreConformance}. */
class LuceneVectorStoreTest {

  static final long SEED = VectorStoreConformance.SEED;

  static List<IndexedItem> items(int n, int dim, long seed) {
    return VectorStoreConformance.items(n, dim, seed);
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
  void batches_split_among_writer_threads_keep_every_id_once_and_its_last_write(@TempDir Path dir, @TempDir Path copy)
      throws IOException {
    List<IndexedItem> first = items(400, 16, SEED);
    List<IndexedItem> again = items(100, 16, SEED + 7); // ids id-0..id-99 once more, other vectors
    LuceneSettings four = LuceneSettings.defaults().withWriterThreads(4);
    try (LuceneVectorStore s = new LuceneVectorStore(dir, four)) {
      s.createCollection("c", 16, "m/1");
      s.upsert("c", first);
      s.upsert("c", again);
      assertThat(s.collection("c").count()).isEqualTo(400);
      for (int i = 0; i < 400; i++) {
        assertThat(s.get("c", "id-" + i)).contains(i < 100 ? again.get(i) : first.get(i));
      }
      Fixtures.copyTree(dir, copy); // not committed: opening the copy replays both batches from the log
    }
    try (LuceneVectorStore s = new LuceneVectorStore(copy, four)) {
      assertThat(s.collection("c").count()).isEqualTo(400);
      for (int i = 0; i < 400; i++) {
        assertThat(s.get("c", "id-" + i)).contains(i < 100 ? again.get(i) : first.get(i));
      }
    }
  }

  @Test
  void partition_covers_the_batch_once_in_order() {
    List<IndexedItem> batch = items(301, 4, SEED);
    List<List<IndexedItem>> parts = LuceneCollection.Opener.partition(batch, 3);
    assertThat(parts).hasSize(3).allSatisfy(p -> assertThat(p.size()).isBetween(100, 101));
    assertThat(parts.stream().flatMap(List::stream).toList()).isEqualTo(batch);
    assertThat(LuceneCollection.Opener.partition(batch.subList(0, 5), 3)).containsExactly(batch.subList(0, 5));
    assertThat(LuceneCollection.Opener.partition(batch, 1)).containsExactly(batch);
  }

  @Test
  void an_int8_search_reports_exact_cosines_and_the_exact_top_10(@TempDir Path dir) {
    // the graph walk compares int8 vectors; the candidates are rescored with their float vectors
    List<IndexedItem> items = items(2000, 32, SEED);
    SplittableRandom r = new SplittableRandom(SEED + 3);
    try (LuceneVectorStore s = new LuceneVectorStore(dir, LuceneSettings.defaults().withSearchCandidates(200))) {
      s.createCollection("q", 32, "m/1", VectorStore.Quantization.INT8);
      s.upsert("q", items);
      Map<String, float[]> byId = new java.util.HashMap<>();
      items.forEach(it -> byId.put(it.id(), it.vector()));
      double recall = 0;
      for (int t = 0; t < 20; t++) {
        float[] query = VectorStoreConformance.unit(r, 32);
        List<Hit> hits = s.search("q", query, 10, Filter.NONE);
        for (Hit h : hits) {
          assertThat((double) h.score()).isCloseTo(VectorStoreConformance.dot(query, byId.get(h.id())),
              org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(hits).extracting(Hit::score).isSortedAccordingTo(Comparator.reverseOrder());
        recall += VectorStoreConformance.recallAt10(hits, items, query);
      }
      assertThat(recall / 20).isGreaterThanOrEqualTo(0.95);
    }
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
  void aliases_survive_a_reopen_and_a_deleted_collection_stays_deleted(@TempDir Path dir) {
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("v1", 4, "m/1");
      s.createCollection("v2", 4, "m/2");
      s.setAlias("live", "v1");
      s.setAlias("live", "v2");
      s.deleteCollection("v1");
    }
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      assertThat(s.aliases()).isEqualTo(Map.of("live", "v2"));
      assertThat(s.collection("live").model()).isEqualTo("m/2");
      assertThat(s.collections()).extracting(CollectionInfo::name).containsExactly("v2");
    }
  }
}
