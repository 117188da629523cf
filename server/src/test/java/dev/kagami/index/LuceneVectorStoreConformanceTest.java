package dev.kagami.index;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

class LuceneVectorStoreConformanceTest extends VectorStoreConformance {

  @TempDir
  Path dir;
  private LuceneVectorStore store;

  @BeforeEach
  void open() {
    // several writer threads, whatever the machine's cores, so every batch test also checks the parallel apply
    store = new LuceneVectorStore(dir, LuceneSettings.defaults().withWriterThreads(3));
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Override
  protected VectorStore store() {
    return store;
  }
}
