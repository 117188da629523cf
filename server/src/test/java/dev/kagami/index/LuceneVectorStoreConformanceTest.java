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
    store = new LuceneVectorStore(dir);
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
