package dev.kagami.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.BackendUnavailable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening after damage: a log record the store cannot apply, a collection whose files are corrupt, and
 * crashes that drop every unsynced byte of the write-ahead log (the crash test that fails if an fsync is
 * removed: {@link CrashingWalFiles} forgets what the page cache held).
 */
class LuceneRecoveryTest {

  static final long SEED = VectorStoreConformance.SEED;
  private static final float[] X = {1, 0, 0, 0};

  /** Settings whose background commit never comes during a test: only the log holds acknowledged writes. */
  static LuceneSettings noBackgroundCommit() {
    return LuceneSettings.defaults().withCommitInterval(Duration.ofHours(1)).withWriterThreads(1);
  }

  @Test
  void replay_sets_aside_a_record_it_cannot_apply_and_opens_the_collection(@TempDir Path dir) throws IOException {
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      s.createCollection("shop", 4, "m/1");
      s.upsert("shop", List.of(new IndexedItem("before", X, Map.of(), "")));
    }
    // a log written by a server without today's checks: a good upsert, a poisoned one (a value over Lucene's
    // term limit), a record that does not decode, then a good delete
    Path wal = dir.resolve("shop/wal");
    try (WriteAheadLog log = new WriteAheadLog(wal)) {
      log.append(new WriteAheadLog.Upsert(List.of(new IndexedItem("good", X, Map.of("k", FieldValue.of("v")), ""))));
      log.append(new WriteAheadLog.Upsert(List.of(new IndexedItem("poison", X, Map.of("desc", FieldValue.of("x".repeat(40_000))), ""))));
      log.append(new WriteAheadLog.Delete(List.of("before")));
    }
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      assertThat(s.unavailableCollections()).isEmpty();
      assertThat(s.get("shop", "good")).isPresent();
      assertThat(s.get("shop", "poison")).isEmpty();
      assertThat(s.get("shop", "before")).isEmpty(); // the record after the poisoned one was applied
      CollectionInfo info = s.collection("shop");
      assertThat(info.count()).isEqualTo(1);
      assertThat(info.quarantinedRecords()).isEqualTo(1);
      s.upsert("shop", List.of(new IndexedItem("after", X, Map.of(), ""))); // takes writes
      assertThat(s.search("shop", X, 5, Filter.NONE)).extracting(Hit::id).containsExactlyInAnyOrder("good", "after");
    }
    // the quarantined record is kept with its reason, and not replayed again
    byte[] q = Files.readAllBytes(wal.resolve(Quarantine.FILE));
    assertThat(new String(q, java.nio.charset.StandardCharsets.UTF_8)).contains("40000 bytes").contains("poison");
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      assertThat(s.collection("shop").quarantinedRecords()).isEqualTo(1);
      assertThat(s.collection("shop").count()).isEqualTo(2);
    }
  }

  @Test
  void a_collection_that_cannot_open_is_unavailable_and_the_others_serve(@TempDir Path dir) throws IOException {
    try (LuceneVectorStore s = new LuceneVectorStore(dir, noBackgroundCommit())) {
      s.createCollection("broken", 4, "m/1");
      s.createCollection("fine", 4, "m/1");
      s.upsert("fine", List.of(new IndexedItem("a", X, Map.of(), "")));
      s.upsert("broken", List.of(new IndexedItem("a", X, Map.of(), "")));
      s.crashForTest(); // the log of 'broken' keeps an uncommitted write
    }
    // damage an older log generation of 'broken': corruption, not a torn tail, so it cannot open
    Path wal = dir.resolve("broken/wal");
    try (WriteAheadLog log = new WriteAheadLog(wal)) {
      log.append(new WriteAheadLog.Delete(List.of("x")));
    }
    Path oldest = wal.resolve(WriteAheadLog.name(new WriteAheadLog(wal).generations().get(0)));
    byte[] b = Files.readAllBytes(oldest);
    b[b.length - 1] ^= 0x40;
    Files.write(oldest, b);
    try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
      assertThat(s.unavailableCollections()).containsOnlyKeys("broken");
      assertThatThrownBy(() -> s.search("broken", X, 1, Filter.NONE)).isInstanceOf(BackendUnavailable.class)
          .hasMessageContaining("collection 'broken' could not be opened").hasMessageNotContaining("Exception");
      assertThatThrownBy(() -> s.upsert("broken", List.of())).isInstanceOf(BackendUnavailable.class);
      assertThat(s.search("fine", X, 1, Filter.NONE)).extracting(Hit::id).containsExactly("a");
      s.upsert("fine", List.of(new IndexedItem("b", X, Map.of(), "")));
      assertThat(s.collection("fine").count()).isEqualTo(2);
    }
  }

  @Test
  void the_crash_layer_drops_what_was_not_synced(@TempDir Path dir) throws IOException {
    CrashingWalFiles crashing = new CrashingWalFiles();
    WalFiles files = crashing.open(dir);
    try (WalFiles.Appender a = files.create("f")) {
      a.append(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
      a.sync();
      a.append(java.nio.ByteBuffer.wrap(new byte[] {4, 5}));
      crashing.crash();
    }
    assertThat(Files.readAllBytes(dir.resolve("f"))).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> files.read("f")).isInstanceOf(IOException.class).hasMessageContaining("simulated crash");
  }

  /**
   * Random upserts, replacements, deletes and commits, then a crash that drops every unsynced log byte and
   * every uncommitted Lucene change, many times over the same folder: after each reopen the collection holds
   * exactly what was acknowledged. Remove the log's sync and this fails.
   */
  @Test
  void acknowledged_writes_survive_crashes_that_drop_unsynced_bytes(@TempDir Path dir) throws IOException {
    SplittableRandom r = new SplittableRandom(SEED);
    Map<String, IndexedItem> expected = new HashMap<>();
    int cycles = 12;
    int ops = 0;
    for (int cycle = 0; cycle < cycles; cycle++) {
      CrashingWalFiles crashing = new CrashingWalFiles();
      LuceneVectorStore s = new LuceneVectorStore(dir, noBackgroundCommit(), crashing);
      s.createCollection("c", 8, "m/1");
      int n = 5 + r.nextInt(30);
      for (int i = 0; i < n; i++, ops++) {
        int kind = r.nextInt(10);
        if (kind < 6) {
          List<IndexedItem> batch = new ArrayList<>();
          for (int j = 0, size = 1 + r.nextInt(8); j < size; j++) {
            String id = "id-" + r.nextInt(120);
            if (batch.stream().noneMatch(it -> it.id().equals(id))) {
              batch.add(new IndexedItem(id, VectorStoreConformance.unit(r, 8), Map.of("v", FieldValue.of(ops)), ""));
            }
          }
          s.upsert("c", batch);
          batch.forEach(it -> expected.put(it.id(), it));
        } else if (kind < 9) {
          List<String> ids = List.of("id-" + r.nextInt(120), "id-" + r.nextInt(120));
          s.delete("c", ids);
          ids.forEach(expected::remove);
        } else {
          s.commitAll();
        }
      }
      crashing.crash();
      s.crashForTest();
      try (LuceneVectorStore reopened = new LuceneVectorStore(dir, noBackgroundCommit())) {
        assertThat(reopened.collection("c").count()).as("cycle %d (seed %d)", cycle, SEED).isEqualTo(expected.size());
        for (IndexedItem it : expected.values()) {
          assertThat(reopened.get("c", it.id())).as("cycle %d, %s (seed %d)", cycle, it.id(), SEED).contains(it);
        }
      }
    }
    System.out.printf("simulated crashes dropping unsynced log bytes: %d cycles, %d operations, 0 acknowledged writes lost "
        + "(seed %d)%n", cycles, ops, SEED);
  }
}
