package dev.kagami.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.testing.Fuzzer;
import java.io.IOException;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the write-ahead-log reader and upsert validation ({@link Fuzzer}, bounded time, committed corpus).
 * The property of the validation target: an upsert the checks accept is one the index can store and that
 * the log gives back unchanged.
 */
class IndexFuzzTest {

  @Test
  void the_log_reader_only_ever_replays_or_reports_damage() {
    Fuzzer.Result r = Fuzzer.run("wal", IndexFuzzTargets.walReader());
    System.out.println(r.line());
    assertThat(r.crashes()).isEmpty();
  }

  @Test
  void an_upsert_the_checks_accept_is_one_the_index_and_the_log_can_take() throws IOException {
    try (ByteBuffersDirectory dir = new ByteBuffersDirectory();
        IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig())) {
      Fuzzer.Result r = Fuzzer.run("upsert", IndexFuzzTargets.upsertValidation(writer));
      System.out.println(r.line());
      assertThat(r.crashes()).isEmpty();
    }
  }
}
